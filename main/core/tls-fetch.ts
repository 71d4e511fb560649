// The fetch every host gives the engine. A request without TLS material goes to the global fetch
// unchanged; one with a client certificate or a CA bundle (docs/client-auth.md) goes over node:https
// with those options, because the global fetch (undici inside Node) takes TLS options only through a
// dispatcher from the undici package, which is not a dependency of the app. The answer is a standard
// Response either way, so the providers and their fakes see one shape.
import { request, type RequestOptions } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientTls, FetchInit, FetchLike } from './types.js';

/** Statuses whose Response may not have a body (the Fetch standard's null body statuses). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export const tlsAwareFetch: FetchLike = (input, init) => {
  const tls = init?.tls;
  const url = new URL(String(input));
  if (tls === undefined || url.protocol !== 'https:') {
    if (init === undefined || !('tls' in init)) return fetch(input, init);
    const { tls: _omitted, ...plain } = init;
    return fetch(input, plain);
  }
  return fetchOverTls(url, init ?? {}, tls);
};

/** The node:https options of a profile's TLS material. */
export function tlsOptions(tls: ClientTls): Pick<RequestOptions, 'cert' | 'key' | 'ca'> {
  return {
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key.export({ format: 'pem', type: 'pkcs8' }) }),
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
  };
}

function fetchOverTls(url: URL, init: FetchInit, tls: ClientTls): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const headers = new Headers(init.headers);
    const body = typeof init.body === 'string' ? init.body : undefined;
    if (body !== undefined && !headers.has('content-length')) headers.set('content-length', String(Buffer.byteLength(body)));
    const outgoing: Record<string, string> = {};
    headers.forEach((value, name) => {
      outgoing[name] = value;
    });
    const options: RequestOptions = {
      method: init.method ?? 'GET',
      headers: outgoing,
      // A fresh connection per token request: token requests are rare, and a pooled socket would
      // keep the key of a profile that has since changed.
      agent: false,
      ...tlsOptions(tls),
      ...(init.signal === null || init.signal === undefined ? {} : { signal: init.signal }),
    };
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 502;
        resolve(
          new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), {
            status,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders(res.headers),
          }),
        );
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function responseHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) out.append(name, one);
  }
  return out;
}
