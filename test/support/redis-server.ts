// A real Redis (Debian's redis-server) for one test file: its own free port, no persistence, stopped
// by its own pid (never the system service). Faults are real too: SIGKILL and a restart on the same
// port (empty), SIGSTOP and SIGCONT (a hung server whose connections stay open).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** A plain client for the test's own reads and writes (tampering, inspecting). */
  client(): Redis;
  kill(): Promise<void>;
  /** Starts a new, empty server on the same port (after kill()). */
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** PEM files for a TLS-only server: it then listens on `port` with TLS and on no plain port. */
export interface RedisTls {
  certFile: string;
  keyFile: string;
  caFile: string;
}

function listenArgs(port: number, tls: RedisTls | undefined): string[] {
  if (tls === undefined) return ['--port', String(port)];
  // Clients are not asked for certificates: Tokentray authenticates with an ACL user over TLS.
  return ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no'];
}

function launch(port: number, extra: readonly string[], tls?: RedisTls): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', [...listenArgs(port, tls), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.resume();
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
}

export async function startRedis(options: { extraArgs?: readonly string[]; tls?: RedisTls } = {}): Promise<RedisServer> {
  const port = await freePort();
  const extra = options.extraArgs ?? [];
  const tls = options.tls;
  let child = await launch(port, extra, tls);
  const clients: Redis[] = [];
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const server: RedisServer = {
    port,
    url: `${tls === undefined ? 'redis' : 'rediss'}://127.0.0.1:${port}`,
    get pid() {
      return child.pid as number;
    },
    client() {
      const client = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: false,
        maxRetriesPerRequest: 2,
        ...(tls === undefined ? {} : { tls: { ca: readFileSync(tls.caFile) } }),
      });
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    async kill() {
      if (!alive()) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      child = await launch(port, extra, tls);
    },
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    async close() {
      for (const client of clients.splice(0)) client.disconnect();
      if (!alive()) return;
      child.kill('SIGCONT');
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
  // Never leave a server behind, even when the test file fails before its after().
  process.once('exit', () => {
    if (alive()) child.kill('SIGKILL');
  });
  return server;
}
