// The loopback API's front door (SPEC section 4): a web page in the person's browser can reach
// 127.0.0.1, so every request must prove it is not one. A foreign Host means DNS rebinding; a foreign
// Origin, a cross-site Sec-Fetch-Site or a proxy header means a browser or a relay is in between.
import type { IncomingMessage } from 'node:http';
import { HttpProblem } from './problem.js';

function refuse(detail: string): HttpProblem {
  return new HttpProblem(403, 'forbidden', detail, 'Call the API directly from a program on this machine, at http://127.0.0.1:PORT.');
}

/** The hosts a local caller may name: exactly these, with this server's port (SPEC section 4). */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

/** Null when the request may proceed, else the refusal to send. */
export function checkRequestSource(req: IncomingMessage, hosts: ReadonlySet<string>): HttpProblem | null {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !hosts.has(host)) return refuse('The Host header does not name this machine.');
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) {
    return refuse('Requests relayed through a proxy are refused.');
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return refuse('Requests from other web sites are refused.');
  const origin = req.headers.origin;
  // The dashboard's own pages send Origin = the origin they were loaded from, which is the Host.
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
    return refuse('Requests from other web sites are refused.');
  }
  return null;
}
