// The cost of a signed client assertion per refresh (docs/client-auth.md): the oauth2 provider's whole
// token request with private_key_jwt (RS256, PS256, ES256, EdDSA: parse the key, sign a fresh
// assertion, POST it) against the same request with client_secret_basic, to one local token endpoint,
// in alternating rounds so both meet the same machine. Reported as ratios, never a pass/fail.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProfileConfig, ProfileSecrets } from '../common/contract.js';
import type { SigningAlg } from '../common/providers.js';
import { systemClock } from '../main/core/clock.js';
import { resolveProfile } from '../main/core/profiles.js';
import { oauth2Provider } from '../main/core/providers/oauth2.js';
import { tlsAwareFetch } from '../main/core/tls-fetch.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 150);

function pem(type: 'rsa' | 'ec' | 'ed25519'): string {
  const options = type === 'rsa' ? { modulusLength: 2048 } : type === 'ec' ? { namedCurve: 'prime256v1' } : {};
  const { privateKey } = generateKeyPairSync(type as 'rsa', options as { modulusLength: number });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function run(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"access_token":"bench-token","token_type":"Bearer","expires_in":3600}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  const base: ProfileConfig = { id: 'bench', name: 'bench', provider: 'oauth2', clientId: 'bench-client', tokenUrl };
  const rsa = pem('rsa');
  const cases: Array<{ name: string; profile: ProfileConfig; secrets: ProfileSecrets }> = [
    { name: 'client_secret_basic', profile: base, secrets: { clientSecret: 'bench-secret' } },
    ...([['RS256', rsa], ['PS256', rsa], ['ES256', pem('ec')], ['EdDSA', pem('ed25519')]] as Array<[SigningAlg, string]>).map(([alg, key]) => ({
      name: `private_key_jwt ${alg}`,
      profile: { ...base, authMethod: 'private_key_jwt' as const, signingAlg: alg },
      secrets: { privateKey: key },
    })),
  ];
  const context = { fetch: tlsAwareFetch, clock: systemClock };
  const perRequest = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternate the order so neither always runs first on a warming or busy machine.
    for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
      const resolved = resolveProfile(c.profile);
      const started = process.hrtime.bigint();
      for (let i = 0; i < PER_ROUND; i += 1) await oauth2Provider.obtain(resolved, c.secrets, context);
      perRequest.get(c.name)?.push(Number(process.hrtime.bigint() - started) / 1e6 / PER_ROUND);
    }
  }
  server.close();
  const baseline = median(perRequest.get('client_secret_basic') as number[]);
  console.log(`${ROUNDS} rounds of ${PER_ROUND} token requests each; median per request, and its ratio to client_secret_basic`);
  for (const c of cases) {
    const ms = median(perRequest.get(c.name) as number[]);
    console.log(`${c.name.padEnd(24)} ${ms.toFixed(3)} ms  ${(ms / baseline).toFixed(2)}x`);
  }
}
