// The relay's area of the loopback server (docs/http-api.md, "The token relay"): POST
// /v1/profiles/{id}/oauth/token and the RFC 8414 metadata at both of its paths.
// The middleware's front door (Host, Origin, Sec-Fetch-Site, X-Forwarded-For) has already run; the
// token route is `open` because OAuth clients authenticate in the body or with Basic, and the key is
// then checked with the server's own CallerAuth (its ClientKeyIndex and last-use writes), so the relay
// has no key check of its own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROFILE_ID_PATTERN, type ProfileConfig } from '../../../common/contract.js';
import { clientMayAccess, sameInConstantTime } from '../clients/client-keys.js';
import { noSuchProfileMessage } from '../../../common/errors.js';
import { toTokentrayError } from '../errors.js';
import { secondsLeft } from '../wire.js';
import type { ClientKeyRecord, Token } from '../types.js';
import { bufferUpTo } from './body.js';
import { HttpProblem, sendJson } from './problem.js';
import type { RequestContext } from './router.js';
import type { ServerArea } from './server-area.js';
import {
  BASIC_CHALLENGE,
  checkTarget,
  DEFAULT_FAILURE_DELAYS,
  FailureDelays,
  OAuthError,
  parseRelayBody,
  profileAudience,
  readRelayRequest,
  RELAY_HEADERS,
  relayMetadata,
  relayRefusalFor,
  relayTokenJson,
  type RelayRequest,
} from './relay.js';

/** When no valid token can be had and the engine gives no Retry-After of its own. */
const DEFAULT_RETRY_AFTER_SEC = 5;

const RELAY_HEADER_LIST: readonly string[] = Object.entries(RELAY_HEADERS).flat();

/** The Content-Type line, read from the raw headers (req.headers builds an object of every header). */
function contentTypeOf(raw: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if ((raw[i] as string).length === 12 && (raw[i] as string).toLowerCase() === 'content-type') return raw[i + 1];
  return undefined;
}

export function registerRelayRoutes(area: Pick<ServerArea, 'router' | 'engine' | 'clock' | 'auth' | 'logger' | 'relay'>): void {
  const { router, engine, clock, auth, logger } = area;
  const delays = new FailureDelays({ ...DEFAULT_FAILURE_DELAYS, baseMs: area.relay.failureDelayMs, maxMs: area.relay.failureDelayMaxMs });

  function send(res: ServerResponse, status: number, payload: string, extra?: Readonly<Record<string, string>>): void {
    res.writeHead(status, { ...RELAY_HEADERS, ...extra, 'Content-Length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  // The hot path: a profile's token goes out many times a second with the same
  // expires_in, so its answer text and header list are made once per token and expires_in value, as
  // the /token answer's are (problem.ts sendJsonText). node:http only reads the list.
  let lastAnswer: { token: Token | null; left: number | null; headers: string[]; payload: string } = { token: null, left: null, headers: [], payload: '' };
  function sendToken(res: ServerResponse, token: Token, now: number): void {
    const left = secondsLeft(token, now);
    if (lastAnswer.token !== token || lastAnswer.left !== left) {
      const payload = relayTokenJson(token, now);
      lastAnswer = { token, left, payload, headers: [...RELAY_HEADER_LIST, 'Content-Length', String(Buffer.byteLength(payload))] };
    }
    res.writeHead(200, lastAnswer.headers);
    res.end(lastAnswer.payload);
  }

  function sendError(req: IncomingMessage, res: ServerResponse, error: OAuthError): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A body left unread makes the connection unusable for the next request.
    if (!req.complete) res.setHeader('Connection', 'close');
    send(res, error.status, error.json, error.headers);
  }

  /**
   * The key behind the request's secret, or (as a promise) an invalid_client refusal after the growing
   * delay. The accepted case answers at once: no promise hop on the hot path.
   */
  function authenticate(request: RelayRequest, now: number): ClientKeyRecord | Promise<never> {
    const record = auth.findClient(request.secret, now);
    // The name is compared in constant time too: it is the other half of the credentials.
    if (record !== undefined && sameInConstantTime(record.name, request.clientId)) {
      delays.succeed(record.name);
      auth.touch(record, now);
      return record;
    }
    const waitMs = delays.fail(request.clientId, now);
    return new Promise<never>((_resolve, reject) =>
      clock.setTimeout(
        () =>
          // The same words for an unknown name, a wrong secret or a revoked key.
          reject(
            new OAuthError(
              401,
              'invalid_client',
              'The client_id or client_secret was not accepted. Use a Tokentray client key as the secret and its name as the client_id.',
              request.method === 'client_secret_basic' ? { 'WWW-Authenticate': BASIC_CHALLENGE } : {},
            ),
          ),
        waitMs,
      ),
    );
  }

  /**
   * What the relay needs of a stored profile (whether it can be relayed, its audience), worked out
   * once per stored object: CallerAuth hands out the same object until the store changes.
   */
  const facts = new WeakMap<ProfileConfig, { refusal: string | null; audience: string | undefined }>();
  function relayFacts(profile: ProfileConfig): { refusal: string | null; audience: string | undefined } {
    let known = facts.get(profile);
    if (known === undefined) {
      known = { refusal: relayRefusalFor(profile), audience: profileAudience(profile) };
      facts.set(profile, known);
    }
    return known;
  }

  async function token(req: IncomingMessage, res: ServerResponse, id: string, authorization: string | undefined, type: string | undefined): Promise<void> {
    const limit = area.relay.bodyBytes;
    const body = await bufferUpTo(req, limit);
    if (!body.ended) throw new OAuthError(413, 'invalid_request', `The request body is larger than ${limit} bytes.`);
    const params = parseRelayBody(type, Buffer.concat(body.chunks, body.size));
    const json = (type ?? '').toLowerCase().includes('json');
    const request = readRelayRequest(authorization, params, json);
    const accepted = authenticate(request, clock.now());
    const record = accepted instanceof Promise ? await accepted : accepted;
    // A key limited to other profiles learns nothing about this one, not even whether it exists:
    // the same answer as for a profile it may not use (as 403 comes before 404 on the rest of the API).
    if (!clientMayAccess(record, id)) {
      throw new OAuthError(400, 'unauthorized_client', `This client key may not use profile "${id}". Use a key that includes it.`);
    }
    const profile = PROFILE_ID_PATTERN.test(id) ? auth.findProfile(id, clock.now()) : undefined;
    if (profile === undefined) {
      throw new OAuthError(400, 'invalid_request', `${noSuchProfileMessage(id)} The token URL is /v1/profiles/{id}/oauth/token with an id from GET /v1/profiles.`);
    }
    const { refusal, audience } = relayFacts(profile);
    if (refusal !== null) throw new OAuthError(400, 'unauthorized_client', refusal);
    const target = checkTarget(request, audience);
    if (target !== null) throw target;

    const options = { client: record.name };
    let issued: Token;
    try {
      // The engine records every token it hands out under options.client (docs/http-api.md).
      issued = engine.peekToken(id, options) ?? (await engine.getToken(id, options));
    } catch (error) {
      const failure = toTokentrayError(error);
      if (failure.kind === 'not_found') throw new OAuthError(400, 'invalid_request', noSuchProfileMessage(id));
      const retryAfter = failure.retryAfterMs !== undefined && failure.retryAfterMs > 0 ? Math.ceil(failure.retryAfterMs / 1000) : DEFAULT_RETRY_AFTER_SEC;
      // The engine's message names the profile and the cause, never a secret (errors.ts).
      throw new OAuthError(503, 'temporarily_unavailable', `No valid token can be had for profile "${id}" now: ${failure.message}`, {
        'Retry-After': String(retryAfter),
      });
    }
    // A bearer profile whose token is somehow not one is refused rather than passed on as if it were.
    if (issued.tokenType.toLowerCase() !== 'bearer') {
      throw new OAuthError(400, 'unauthorized_client', 'This profile\'s credential is not a bearer token, so it cannot be relayed as an OAuth token.');
    }
    sendToken(res, issued, clock.now());
  }

  const metadata = (ctx: RequestContext): void => {
    const id = ctx.params.id as string;
    // The same answer whether or not the profile exists: metadata reveals no profile ids. The Host
    // was checked by the front door, so the issuer names this server as the client called it.
    if (!PROFILE_ID_PATTERN.test(id)) throw new HttpProblem(404, 'not_found', 'A profile id is 1-64 characters of a-z, 0-9 and -.');
    sendJson(ctx.res, 200, relayMetadata(`http://${(ctx.front.host ?? '127.0.0.1').toLowerCase()}`, id));
  };

  const tokenRoute = (ctx: RequestContext): Promise<void> => {
    const { req, res } = ctx;
    const id = ctx.params.id as string;
    return token(req, res, id, ctx.front.authorization, contentTypeOf(req.rawHeaders)).catch((error: unknown) => {
      if (error instanceof OAuthError) {
        sendError(req, res, error);
        return;
      }
      if (error instanceof HttpProblem && error.status === 400) {
        // The body ended early: the client is gone or broken.
        sendError(req, res, new OAuthError(400, 'invalid_request', error.detail));
        return;
      }
      logger?.error('relay request failed', { profile: id });
      sendError(req, res, new OAuthError(500, 'server_error', 'An unexpected error occurred.'));
    });
  };

  router
    .add({ path: '/v1/profiles/{id}/oauth/token', access: 'open', methods: { POST: tokenRoute } })
    .add({ path: '/.well-known/oauth-authorization-server/v1/profiles/{id}', access: 'open', methods: { GET: metadata, HEAD: metadata } })
    .add({ path: '/v1/profiles/{id}/.well-known/oauth-authorization-server', access: 'open', methods: { GET: metadata, HEAD: metadata } });
}
