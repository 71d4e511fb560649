// A small router for the loopback server (STYLE.md: aws-vault `server/ecsserver.go`, a router plus
// middleware plus short handlers). A route is a path pattern, who may call it and one handler per
// method; the handlers live in one module per area (api, login, rpc, static, relay).
//
// Patterns are literal segments, `{name}` (one non-empty segment) and a last `{name*}` (the rest of
// the path, slashes included, possibly empty). The most specific route wins whatever the order of
// registration (a literal segment beats `{name}`, which beats `{name*}`), so an area can add its
// routes without knowing the others'. Matching walks the path with indexOf and startsWith, never a
// regular expression or a split: it runs for every token the API hands out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from './caller-auth.js';
import type { FrontDoorHeaders } from './security.js';

/**
 * Who may call a route. `client`: a client key (or, at a local door, the socket's own user);
 * `client-or-session`: that or the headless dashboard's session cookie; `session`: the dashboard's
 * session only; `open`: anyone past the front door (the handler checks whatever it needs itself).
 */
export type Access = 'open' | 'client' | 'client-or-session' | 'session';

/** One request on its way through the middleware to a handler. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  /** What follows `?`, without it ('' when none). */
  readonly query: string;
  readonly params: Readonly<Record<string, string>>;
  /** The headers the front door read (Host, Authorization, Origin...). */
  readonly front: FrontDoorHeaders;
  /** One reading of the clock per request: the key check, its last use and the answer share it. */
  readonly now: number;
  /** Who is asking; set by the authentication middleware for every route but an `open` one. */
  caller: Caller | undefined;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

/** `ANY` answers every method not listed by name. */
export type MethodHandlers = Partial<Record<string, Handler>> & { ANY?: Handler };

export interface RouteSpec {
  path: string;
  access: Access;
  methods: MethodHandlers;
}

export interface Route extends RouteSpec {
  /** The methods to name in a 405's Allow header. */
  readonly allow: string;
}

type Segment = { kind: 'literal'; text: string } | { kind: 'param'; name: string } | { kind: 'rest'; name: string };

interface Compiled {
  route: Route;
  segments: Segment[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

function compile(pattern: string): Segment[] {
  if (!pattern.startsWith('/')) throw new Error(`A route pattern starts with "/": ${pattern}`);
  const parts = pattern.slice(1).split('/');
  return parts.map((part, index): Segment => {
    const param = /^\{([A-Za-z][A-Za-z0-9]*)(\*?)\}$/.exec(part);
    if (param === null) {
      if (part.includes('{') || part.includes('}')) throw new Error(`A route segment is literal or one {param}: ${pattern}`);
      return { kind: 'literal', text: part };
    }
    if (param[2] === '*' && index !== parts.length - 1) throw new Error(`{name*} must be the last segment: ${pattern}`);
    return { kind: param[2] === '*' ? 'rest' : 'param', name: param[1] as string };
  });
}

const RANK = { literal: 0, param: 1, rest: 2 } as const;

/** Negative when a is more specific than b: compared segment by segment, then the longer wins. */
function bySpecificity(a: Compiled, b: Compiled): number {
  const length = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i += 1) {
    const difference = RANK[(a.segments[i] as Segment).kind] - RANK[(b.segments[i] as Segment).kind];
    if (difference !== 0) return difference;
  }
  return b.segments.length - a.segments.length;
}

/** The params of `path` under `segments`, or null when it does not match. */
function matchSegments(segments: readonly Segment[], path: string): Record<string, string> | null {
  let params: Record<string, string> | null = null;
  // `at` is the index just after a '/' of the path.
  let at = 1;
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i] as Segment;
    const last = i === segments.length - 1;
    if (segment.kind === 'rest') {
      if (at > path.length) return null;
      params ??= {};
      params[segment.name] = path.slice(at);
      return params;
    }
    const slash = path.indexOf('/', at);
    const end = slash < 0 ? path.length : slash;
    if (last ? slash >= 0 : slash < 0) return null;
    if (segment.kind === 'literal') {
      if (end - at !== segment.text.length || !path.startsWith(segment.text, at)) return null;
    } else {
      if (end === at) return null;
      params ??= {};
      params[segment.name] = path.slice(at, end);
    }
    at = end + 1;
  }
  return params ?? (NO_PARAMS as Record<string, string>);
}

export class Router {
  /** Patterns without a param: one map lookup. */
  private readonly exact = new Map<string, Route>();
  private readonly patterns: Compiled[] = [];

  add(spec: RouteSpec): this {
    const segments = compile(spec.path);
    const taken = this.exact.has(spec.path) || this.patterns.some((p) => p.route.path === spec.path);
    if (taken) throw new Error(`Two routes for ${spec.path}`);
    const allow = Object.keys(spec.methods)
      .filter((m) => m !== 'HEAD' && m !== 'ANY')
      .join(', ');
    const route: Route = { ...spec, allow };
    if (segments.every((s) => s.kind === 'literal')) this.exact.set(spec.path, route);
    else {
      this.patterns.push({ route, segments });
      this.patterns.sort(bySpecificity);
    }
    return this;
  }

  /** Every route added, exact ones first (docs/http-api.md is checked against this list). */
  routes(): readonly Route[] {
    return [...this.exact.values(), ...this.patterns.map((p) => p.route)];
  }

  /** The route for a path (whatever the method), or null: the caller answers 404. */
  match(path: string): Match | null {
    const exact = this.exact.get(path);
    if (exact !== undefined) return { route: exact, params: NO_PARAMS as Record<string, string> };
    for (const { route, segments } of this.patterns) {
      const params = matchSegments(segments, path);
      if (params !== null) return { route, params };
    }
    return null;
  }

  /** The handler for a method on a matched route, or undefined: the caller answers 405. */
  static handlerFor(route: Route, method: string): Handler | undefined {
    return route.methods[method] ?? route.methods.ANY;
  }
}
