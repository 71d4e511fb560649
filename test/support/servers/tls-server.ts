// An HTTPS server with a freshly generated self-signed certificate: the client must refuse it, which
// is how tests produce a real TLS failure (no trust store is touched).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, removeTempDir } from '../temp-dir.js';

export interface TlsServer {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  close(): Promise<void>;
}

async function selfSignedCertificate(): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = await makeTempDir('tokentray-tls-');
  try {
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    return { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) };
  } finally {
    await removeTempDir(dir);
  }
}

export async function startSelfSignedTlsServer(): Promise<TlsServer> {
  const server = createServer(await selfSignedCertificate(), (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
    res.end('{"access_token":"never-reached","expires_in":3600}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
