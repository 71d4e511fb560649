// The loopback API's front door (docs/http-api.md): a web page in the person's browser can reach
// 127.0.0.1, so every request must prove it is not one. A foreign Host means DNS rebinding; a foreign
// Origin, a cross-site Sec-Fetch-Site or a proxy header means a browser or a relay is in between.
import { HttpProblem } from './problem.js';

function refuse(detail: string): HttpProblem {
  return new HttpProblem(403, 'forbidden', detail, 'Call the API directly from a program on this machine, at http://127.0.0.1:PORT.');
}

function repeatedHeader(name: string): HttpProblem {
  return new HttpProblem(400, 'usage', `The request has more than one ${name} header.`, 'Send each of Host, Origin and Authorization once.');
}

/** The hosts a local caller may name: exactly these, with this server's port (docs/http-api.md). */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

/** The headers the front door and the key check read, from one pass over the request's header lines. */
export interface FrontDoorHeaders {
  host: string | undefined;
  authorization: string | undefined;
  origin: string | undefined;
  /** More than one Host, Authorization or Origin line: which one counts would be a guess. */
  repeated: string | undefined;
  /** Some Sec-Fetch-Site line says cross-site or same-site. */
  fromOtherSite: boolean;
  /** An X-Forwarded-For or Forwarded line is present. */
  relayed: boolean;
}

/** The headers a request may carry at most once, as a refusal names them. */
const SINGLE_HEADERS = { host: 'Host', origin: 'Origin', authorization: 'Authorization' } as const;

/**
 * Reads `req.rawHeaders` (name, value, name, value...) once. Every line counts, not only the first
 * node keeps in `req.headers`: a second Host or Origin line is refused rather than ignored, and any
 * cross-site Sec-Fetch-Site line refuses the request. (node builds `req.headers` lazily, so the token
 * path, which needs only these, never builds it.)
 */
export function readFrontDoorHeaders(raw: readonly string[]): FrontDoorHeaders {
  const seen: FrontDoorHeaders = {
    host: undefined,
    authorization: undefined,
    origin: undefined,
    repeated: undefined,
    fromOtherSite: false,
    relayed: false,
  };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    switch (name) {
      case 'host':
      case 'origin':
      case 'authorization':
        if (seen[name] !== undefined) seen.repeated = SINGLE_HEADERS[name];
        seen[name] = value;
        break;
      case 'sec-fetch-site': {
        const site = value.trim().toLowerCase();
        if (site === 'cross-site' || site === 'same-site') seen.fromOtherSite = true;
        break;
      }
      case 'forwarded':
      case 'x-forwarded-for':
        seen.relayed = true;
        break;
      default:
        break;
    }
  }
  return seen;
}

/** Null when the request may proceed, else the refusal to send. */
export function checkRequestSource(headers: FrontDoorHeaders, hosts: ReadonlySet<string>): HttpProblem | null {
  if (headers.repeated !== undefined) return repeatedHeader(headers.repeated);
  const host = headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) return refuse('The Host header does not name this machine.');
  if (headers.relayed) return refuse('Requests relayed through a proxy are refused.');
  if (headers.fromOtherSite) return refuse('Requests from other web sites are refused.');
  const origin = headers.origin;
  // The dashboard's own pages send Origin = the origin they were loaded from, which is the Host.
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
    return refuse('Requests from other web sites are refused.');
  }
  return null;
}

/**
 * The front door of a local socket (docs/http-api.md): only the user can open it and no browser can
 * reach it, so there is no Host to check; a header no command-line caller sends (a browser's Origin
 * or Sec-Fetch-Site, a proxy's Forwarded) still means something is in between, and is refused.
 */
export function checkLocalRequestSource(headers: FrontDoorHeaders): HttpProblem | null {
  if (headers.repeated !== undefined) return repeatedHeader(headers.repeated);
  if (headers.relayed) return refuse('Requests relayed through a proxy are refused.');
  if (headers.fromOtherSite || headers.origin !== undefined) return refuse('Requests from other web sites are refused.');
  return null;
}
