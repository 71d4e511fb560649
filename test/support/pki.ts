// A private PKI made by openssl for one test run: a CA, a server certificate for 127.0.0.1 signed by
// it, and client keys of every kind Tokentray reads (PKCS#1, PKCS#8, SEC1, Ed25519, a JWK) with
// self-signed, CA-signed, expired and not-yet-valid certificates. Nothing touches a trust store.
import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, removeTempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface Pki {
  dir: string;
  /** Paths of PEM files. */
  caFile: string;
  caPem: string;
  server: { key: string; cert: string };
  /** A key of this kind, as PEM text (or JWK JSON for 'jwk'). */
  key(kind: KeyKind): Promise<string>;
  /** A self-signed certificate for a key (PEM), valid from/to the given openssl dates (default: now for a day). */
  selfSigned(kind: KeyKind, cn: string, dates?: { start: string; end: string }): Promise<string>;
  /** A certificate for the key signed by the CA (for tls_client_auth). */
  caSigned(kind: KeyKind, cn: string): Promise<string>;
  /** Writes text to a file in the PKI's folder and returns its path. */
  write(name: string, text: string): Promise<string>;
  close(): Promise<void>;
}

export type KeyKind = 'rsa-pkcs1' | 'rsa-pkcs8' | 'ec-sec1' | 'ed25519' | 'jwk' | 'ec-p384' | 'rsa-1024';

const KEY_COMMANDS: Record<Exclude<KeyKind, 'jwk'>, string[]> = {
  'rsa-pkcs1': ['genrsa', '-traditional', '2048'],
  'rsa-pkcs8': ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'ec-sec1': ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'],
  'ec-p384': ['ecparam', '-name', 'secp384r1', '-genkey', '-noout'],
  ed25519: ['genpkey', '-algorithm', 'ed25519'],
  'rsa-1024': ['genrsa', '-traditional', '1024'],
};

const CA_CONFIG = '[ca]\ndefault_ca=tt\n[tt]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=any\nunique_subject=no\n[any]\ncommonName=supplied\n';

export async function createPki(): Promise<Pki> {
  const dir = await makeTempDir('tokentray-pki-');
  const openssl = async (args: string[]): Promise<string> => (await run('openssl', args, { cwd: dir })).stdout;
  const path = (name: string): string => join(dir, name);
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Tokentray Test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  await writeFile(path('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'server.pem']);
  await writeFile(path('ca.cnf'), CA_CONFIG);
  await writeFile(path('index.txt'), '');
  await writeFile(path('serial'), '1000\n');

  const keys = new Map<KeyKind, Promise<string>>();
  const keyFile = async (kind: Exclude<KeyKind, 'jwk'>): Promise<string> => {
    const file = path(`${kind}.key`);
    await writeFile(file, await openssl(KEY_COMMANDS[kind]));
    return file;
  };
  const key = (kind: KeyKind): Promise<string> => {
    let known = keys.get(kind);
    if (known === undefined) {
      known = (async () => {
        if (kind === 'jwk') {
          // The same kind of key as rsa-pkcs8, exported as a private JWK.
          const pem = await key('rsa-pkcs8');
          return JSON.stringify(createPrivateKey(pem).export({ format: 'jwk' }));
        }
        return readFile(await keyFile(kind), 'utf8');
      })();
      keys.set(kind, known);
    }
    return known;
  };
  let serial = 0;
  const pemOfKey = async (kind: KeyKind): Promise<string> => {
    const file = path(`${kind}-${(serial += 1)}.pem`);
    const text = await key(kind);
    await writeFile(file, kind === 'jwk' ? createPrivateKey({ key: JSON.parse(text) as never, format: 'jwk' }).export({ format: 'pem', type: 'pkcs8' }).toString() : text);
    return file;
  };

  return {
    dir,
    caFile: path('ca.pem'),
    caPem: await readFile(path('ca.pem'), 'utf8'),
    server: { key: await readFile(path('server.key'), 'utf8'), cert: await readFile(path('server.pem'), 'utf8') },
    key,
    async selfSigned(kind, cn, dates) {
      const keyPath = await pemOfKey(kind);
      const out = path(`cert-${(serial += 1)}.pem`);
      if (dates === undefined) {
        await openssl(['req', '-x509', '-key', keyPath, '-subj', `/CN=${cn}`, '-days', '1', '-out', out]);
      } else {
        const csr = path(`csr-${(serial += 1)}.csr`);
        await openssl(['req', '-new', '-key', keyPath, '-subj', `/CN=${cn}`, '-out', csr]);
        await openssl(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', keyPath, '-in', csr, '-startdate', dates.start, '-enddate', dates.end, '-notext', '-out', out]);
      }
      return readFile(out, 'utf8');
    },
    async caSigned(kind, cn) {
      const keyPath = await pemOfKey(kind);
      const csr = path(`csr-${(serial += 1)}.csr`);
      const out = path(`cert-${(serial += 1)}.pem`);
      await openssl(['req', '-new', '-key', keyPath, '-subj', `/CN=${cn}`, '-out', csr]);
      await openssl(['x509', '-req', '-in', csr, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', out]);
      return readFile(out, 'utf8');
    },
    async write(name, text) {
      await writeFile(path(name), text);
      return path(name);
    },
    close: () => removeTempDir(dir),
  };
}
