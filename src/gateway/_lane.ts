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
 *   `Server-Timing`, CORS, a rate limit of the route's scope, the first
 *   request's readiness check); the gateway says so through `open`;
 * - before it reads a body, any doubt (another path or method, a missing or
 *   wrong credential, another media type, no declared length or one over the
 *   limit) sends the request on as it came;
 * - a body the fast check does not accept goes on as a copy of the request
 *   with the same body (a malformed one, as a malformed one), to meet the
 *   zod validator and its error replies;
 * - an error of the operation (or of the session resolver) gets the
 *   gateway's error reply and headers, while the app's error handler is the
 *   gateway's own;
 * - a session that is not a plain hit (none, refreshed, cleared) goes on with
 *   what the resolver found, so that `/me` builds its reply (and cookies)
 *   without resolving again.
 *
 * `tests/adv6_lane.test.ts` compares the lane's replies with the app's
 * ({@linkcode honoFetchOf}), byte for byte, over hostile and failing calls.
 *
 * @module
 */
import type { ExecutionContext } from "hono";
import { bearerOf } from "../_bearer.ts";
import { handOverSession, meHit } from "../hono/_internal.ts";
import { parseCookies, type SessionResolver } from "../web/_internal.ts";
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
}

const honoFetches = new WeakMap<object, FetchHandler>();

/**
 * The app's own dispatch, without the lane in front (for tests comparing
 * the two).
 *
 * @param app the gateway
 * @returns its fetch handler before the lane was put in front
 */
export function honoFetchOf(app: { fetch: FetchHandler }): FetchHandler {
  return honoFetches.get(app) ?? app.fetch;
}

/**
 * The request's path as Hono routes it, or `undefined` when the lane leaves
 * the decision to Hono (an escaped character or a fragment).
 */
function pathOf(url: string): string | undefined {
  const start = url.indexOf("/", url.indexOf(":") + 4);
  if (start < 0) return undefined;
  const query = url.indexOf("?", start);
  const path = query < 0 ? url.slice(start) : url.slice(start, query);
  return path.includes("%") || path.includes("#") ? undefined : path;
}

/**
 * Put the lane in front of the app's `fetch` (also what `app.request()`
 * calls).
 *
 * @param app the gateway
 * @param options its routes, credentials and settings
 */
export function withHotLane(app: { fetch: FetchHandler }, options: HotLaneOptions): void {
  const dispatch = app.fetch;
  honoFetches.set(app, dispatch);
  const { rpc: routes, services, maxBody, kit, errorReply } = options;

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
    let text: string;
    let body: unknown;
    try {
      // text(), then JSON.parse() (what Hono's c.req.json() does): a body the
      // check refuses goes on as it came. Written again from the value, it
      // lost 1e400 (Infinity: JSON has no such number, and zod says
      // "received Infinity") and threw on deep nesting (JSON.stringify's
      // recursion: tests/adv6_lane.test.ts).
      text = await request.text();
      body = JSON.parse(text);
    } catch {
      // Malformed (or unreadable: the caller went away). The app answers
      // any malformed body alike ("Malformed JSON in request body").
      return await dispatch(new Request(request, { body: "{" }), env, ctx);
    }
    const input = route.check(body);
    if (rejected(input)) {
      // To the zod validator, with the same body.
      return await dispatch(new Request(request, { body: text }), env, ctx);
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
    return await dispatch(request, env, ctx);
  };

  app.fetch = (request, env, ctx) => {
    const method = request.method;
    if (method === "POST") {
      const path = pathOf(request.url);
      const route = path === undefined ? undefined : routes.get(path);
      if (route !== undefined && options.rpcOpen()) return rpc(route, request, env, ctx);
    } else if (method === "GET" && options.meOpen() && pathOf(request.url) === options.mePath) {
      return me(request, env, ctx);
    }
    return dispatch(request, env, ctx);
  };
}
