/**
 * The gateway's hot lane: the calls that make up nearly all of a gateway's
 * traffic (an RPC call whose body the route's fast check accepts, and
 * `GET /auth/me` of a signed-in session) answered in front of Hono's
 * dispatch, with the same pieces the routes use: the service credential,
 * the body limit, the route's fast check, the operation and its reply; the
 * session resolver and `/me`'s reply.
 *
 * Hono runs a route behind middleware as a chain of async layers, and on
 * Deno that chain cost a third of an RPC call's throughput (measured under
 * `wrk`: docs/performance.md). The lane takes a request only where it
 * answers exactly as the app would, and hands anything else to the app
 * untouched:
 * - it is closed while anything that Hono's layers add is on (a span or
 *   `Server-Timing`, CORS, the first request's readiness check), and while
 *   a rate limit of the route's scope cannot be counted without a Hono
 *   context (a `key` function of its own, or a `peer` reader of the
 *   caller's own: `cloudflarePeer` is read without one);
 *   the gateway says so through `rpcOpen` and `meOpen`;
 * - the gateway's rate limits of the scope are counted once: by the lane
 *   for an RPC call that passed the credential, media type and length
 *   checks (any other is handed on uncounted, and the app counts it) and for
 *   `/me` before it resolves the session; a request the lane
 *   then hands to the app (refused, or for any reason below) carries the
 *   verdicts along (to its copy too), so the app answers a refusal as it
 *   does (the 429, its headers and events) and counts nothing again;
 * - it finds the route by the path as the app routes it (`app.getPath`);
 * - before it reads a body, any doubt (another path or method, a missing or
 *   wrong credential, another media type, no declared length or one over the
 *   limit) sends the request on as it came;
 * - a body the fast check does not accept goes on as a copy of the request
 *   whose body parses to the same value as far as zod can tell (a malformed
 *   one, as a malformed one), to meet the zod validator and its error
 *   replies;
 * - an error of the operation (or of the session resolver) gets the
 *   gateway's error reply and headers, while the app's error handler is the
 *   gateway's own;
 * - a session that is not a plain hit (none, refreshed, cleared) goes on with
 *   what the resolver found, so that `/me` builds its reply (and cookies)
 *   without resolving again.
 *
 * `tests/gateway_lane.test.ts` and `tests/adv6_lane.test.ts` compare the
 * lane's replies with the app's ({@linkcode honoFetchOf}), byte for byte,
 * over valid, hostile and failing calls; `tests/gateway_lane_limits.test.ts`
 * its counts under the rate limits.
 *
 * @module
 */
import type { ExecutionContext } from "hono";
import { bearerOf } from "../_bearer.ts";
import { handOverSession, meHit, parseCookies, type SessionResolver } from "../hono/_internal.ts";
import type { CredentialSet } from "./_credentials.ts";
import { type FastCheck, isJsonType, rejected } from "./_fast_input.ts";

/** An RPC route the lane can take: its fast check and its answer. */
export interface HotRpcRoute {
  /** The route's fast input check. */
  check: FastCheck;
  /** The reply to an accepted input (what the route's handler answers). */
  answer: (input: unknown) => Promise<Response>;
}

/** A fetch handler, as Hono's `app.fetch`. */
export type FetchHandler = (
  request: Request,
  env?: unknown,
  executionCtx?: ExecutionContext,
) => Response | Promise<Response>;

/** The verdicts of a request's count by the gateway's rate limits. */
export interface LaneTally {
  /** Whether one of the limits refused it (the app answers the 429). */
  readonly refused: boolean;
}

/** The gateway's rate limits of the lane's calls, counted in front of Hono. */
export interface LaneLimits {
  /**
   * Count a request against the limits of an RPC call or of `GET /auth/me`.
   *
   * @param call which one
   * @param request the request
   * @param env the app's env, as the server passed it
   * @returns the verdicts
   */
  count(call: "rpc" | "me", request: Request, env: unknown): LaneTally;
  /**
   * Hand the verdicts over with a request (as it will reach the app), so
   * that the app follows them instead of counting it again.
   *
   * @param request the request, or its copy
   * @param tally what {@linkcode LaneLimits.count} said
   */
  handOver(request: Request, tally: LaneTally): void;
}

/** What the lane needs of the gateway. */
export interface HotLaneOptions {
  /** The RPC routes it may take, by path (`/rpc/<operation>`). */
  rpc: ReadonlyMap<string, HotRpcRoute>;
  /** Whether it may take RPC calls now. */
  rpcOpen: () => boolean;
  /** The path of `/me` (`/auth/me`). */
  mePath: string;
  /** Whether it may take `GET /auth/me` now. */
  meOpen: () => boolean;
  /** The session routes' resolver, and whether they add reply headers. */
  kit: { resolver: SessionResolver; replyHeaders: boolean };
  /** The service credentials. */
  services: CredentialSet;
  /** The body limit in bytes. */
  maxBody: number;
  /** The gateway's reply to an error a route's handler threw (RPC, `/me`). */
  errorReply: (err: Error) => Response;
  /** The gateway's rate limits. */
  limits: LaneLimits;
}

const honoFetches = new WeakMap<object, FetchHandler>();

/**
 * The app's own dispatch, without the lane in front (for tests comparing
 * the two).
 *
 * @param app the gateway
 * @returns its fetch handler before the lane was put in front
 */
export function honoFetchOf<F extends (request: Request, ...rest: never[]) => unknown>(
  app: { fetch: F },
): F {
  return (honoFetches.get(app) as F | undefined) ?? app.fetch;
}

// Stand-ins for the numbers JSON cannot write (`1e400` parses to Infinity):
// strings no caller can know, put back as the literals after stringifying.
// Made on first use: Workers refuse random values at module load.
let nonce: string | undefined;

// Deeper than any schema a fast check takes (the table's are two levels).
const KEPT_DEPTH = 64;

/**
 * A body that parses to `value` again, as far as zod can tell: an infinite
 * number (`JSON.parse` makes one of `1e400`) is written as such, since zod
 * names it ("received Infinity"); below {@linkcode KEPT_DEPTH} levels an array
 * or object is written empty, since no schema of a fast check looks that deep
 * (zod sees only that it is an array or an object there), which keeps
 * `JSON.stringify`'s recursion off a body nested thousands deep.
 */
function sameJson(value: unknown): string {
  let infinite = false;
  const depths = new Map<object, number>();
  const text = JSON.stringify(value, function (this: object, _key, v: unknown) {
    if (v === Infinity || v === -Infinity) {
      infinite = true;
      nonce ??= crypto.randomUUID();
      return `\u0000${v > 0 ? "+" : "-"}${nonce}`;
    }
    if (typeof v !== "object" || v === null) return v;
    const depth = v === value ? 0 : (depths.get(this) ?? 0) + 1;
    if (depth >= KEPT_DEPTH) return Array.isArray(v) ? [] : {};
    depths.set(v, depth);
    return v;
  });
  if (!infinite || nonce === undefined) return text;
  return text
    .replaceAll(JSON.stringify(`\u0000+${nonce}`), "1e400")
    .replaceAll(JSON.stringify(`\u0000-${nonce}`), "-1e400");
}

/**
 * Put the lane in front of the app's `fetch` (also what `app.request()`
 * calls).
 *
 * @param app the gateway
 * @param options its routes, credentials and settings
 */
export function withHotLane(
  app: { fetch: FetchHandler; readonly getPath: (request: Request) => string },
  options: HotLaneOptions,
): void {
  const dispatch = app.fetch;
  honoFetches.set(app, dispatch);
  const { rpc: routes, services, maxBody, kit, errorReply, limits } = options;
  // To the app, counted: with the verdicts of the count.
  const counted = (
    request: Request,
    tally: LaneTally,
    env: unknown,
    ctx: ExecutionContext | undefined,
  ) => {
    limits.handOver(request, tally);
    return dispatch(request, env, ctx);
  };

  const rpc = async (
    route: HotRpcRoute,
    request: Request,
    env: unknown,
    ctx: ExecutionContext | undefined,
  ): Promise<Response> => {
    const headers = request.headers;
    const presented = bearerOf(headers.get("authorization"));
    const length = headers.get("content-length");
    if (
      presented === undefined || !services.matches(presented) ||
      !isJsonType(headers.get("content-type")) ||
      length === null || headers.get("transfer-encoding") !== null || !(Number(length) <= maxBody)
    ) {
      return await dispatch(request, env, ctx);
    }
    const tally = limits.count("rpc", request, env);
    if (tally.refused) return await counted(request, tally, env, ctx);
    let body: unknown;
    try {
      // json(), not text() and JSON.parse(): on Deno, 2 µs less a call
      // (measured under wrk: docs/performance.md).
      body = await request.json();
    } catch {
      // Malformed (or unreadable: the caller went away). The app answers
      // any malformed body alike ("Malformed JSON in request body").
      return await counted(new Request(request, { body: "{" }), tally, env, ctx);
    }
    const input = route.check(body);
    if (rejected(input)) {
      // To the zod validator, with a body that parses to the same value.
      return await counted(new Request(request, { body: sameJson(body) }), tally, env, ctx);
    }
    try {
      return await route.answer(input);
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      return errorReply(err);
    }
  };

  const me = async (
    request: Request,
    env: unknown,
    ctx: ExecutionContext | undefined,
  ): Promise<Response> => {
    const tally = limits.count("me", request, env);
    if (tally.refused) return await counted(request, tally, env, ctx);
    let found;
    try {
      found = await kit.resolver.resolve(undefined, parseCookies(request.headers.get("cookie")));
    } catch (err) {
      // A bug: answered as the app answers it. Not handed to the app, which
      // would resolve again (and present a refresh token twice).
      if (!(err instanceof Error)) throw err;
      return errorReply(err);
    }
    const hit = meHit(kit, found);
    if (hit !== undefined) return hit;
    handOverSession(request, found);
    return await counted(request, tally, env, ctx);
  };

  app.fetch = (request, env, ctx) => {
    const method = request.method;
    if (method === "POST") {
      // The path as the app routes it (Hono's own reading of the URL).
      const route = routes.get(app.getPath(request));
      if (route !== undefined && options.rpcOpen()) return rpc(route, request, env, ctx);
    } else if (method === "GET" && options.meOpen() && app.getPath(request) === options.mePath) {
      return me(request, env, ctx);
    }
    return dispatch(request, env, ctx);
  };
}
