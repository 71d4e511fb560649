// One HTTP client for tests: over TCP to 127.0.0.1 or over the app's user-only socket, with the
// status, headers and body of the answer. node:http rather than fetch, because fetch cannot speak
// to a Unix socket and hides hop-by-hop headers that some tests check.
import type { Agent, IncomingHttpHeaders } from 'node:http';
import { request } from 'node:http';

/** A port on 127.0.0.1, or a Unix socket path. */
export type HttpTarget = number | { port: number; host?: string } | { socketPath: string };

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** A keep-alive agent, for tests about connections that stay open. */
  agent?: Agent;
}

export function httpRequest(target: HttpTarget, path: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const where = typeof target === 'number' ? { host: '127.0.0.1', port: target } : 'socketPath' in target ? target : { host: target.host ?? '127.0.0.1', port: target.port };
  return new Promise((resolve, reject) => {
    const req = request({ ...where, path, method: options.method ?? 'GET', headers: options.headers ?? {}, ...(options.agent === undefined ? {} : { agent: options.agent }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export function httpGet(target: HttpTarget, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return httpRequest(target, path, { headers });
}
