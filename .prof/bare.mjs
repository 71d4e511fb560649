import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
const body = Buffer.from(JSON.stringify({access_token:'x'.repeat(60),token_type:'Bearer',expires_at:'2026-11-23T20:49:00.000Z',expires_in:86000,scope:null}));
const s = createServer((_req, res) => { res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' }); res.end(body); });
s.listen(0, '127.0.0.1', () => writeFileSync('bare.json', JSON.stringify({ port: s.address().port })));
setTimeout(() => process.exit(0), 8000);
