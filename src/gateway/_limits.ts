/**
 * The gateway's rate limits: `rateLimit` on every route group, and
 * `authRateLimit` on the routes that check a session (`/auth/*`, and
 * `/admin/*` requests that present no Bearer credential). Two ways in, one
 * count: the middleware of the gateway's guard, and the hot lane's count in
 * front of Hono's dispatch, whose verdicts the middleware then follows
 * instead of counting the request again (src/gateway/_lane.ts).
 *
 * @module
 */
import type { Context, Next } from "hono";
import { bearerOf } from "../_bearer.ts";
import type { LaneLimits, LaneTally } from "./_lane.ts";
import { peerOf, type PeerReader, requestPeerOf } from "./_peer.ts";
import {
  clientOf,
  type RateLimiter,
  rateLimiter,
  type RateLimitOptions,
  type Verdict,
} from "./_rate_limit.ts";
import type { GatewayTelemetry } from "./_telemetry.ts";

/** The gateway's route groups. */
export type Scope = "auth" | "rpc" | "admin" | "";

/**
 * Which of the gateway's route groups a path is in (no regex: this runs on
 * every request).
 *
 * @param path the request's path
 * @returns its group, `""` for none
 */
export function scopeOf(path: string): Scope {
  if (path.startsWith("/rpc/")) return "rpc";
  if (path.startsWith("/auth/")) return "auth";
  if (path.startsWith("/admin/")) return "admin";
  return "";
}

/** The options of the gateway the limits read. */
export interface LimitOptions {
  /** Every route group's limit. */
  rateLimit?: RateLimitOptions | undefined;
  /** The session routes' limit. */
  authRateLimit?: RateLimitOptions | undefined;
  /** The gateway's peer reader (one of the caller's own: the lane cannot count). */
  peer?: PeerReader | undefined;
}

/** The gateway's rate limits. */
export interface GatewayLimits extends LaneLimits {
  /**
   * The limits of the request's scope, then `next` (the guard's part).
   *
   * @param c the context
   * @param next the route
   * @param scope the request's route group
   */
  limited(c: Context, next: Next, scope: Scope): Promise<Response | void>;
  /** Whether the lane can count each limit of an RPC call (none, or each without a context). */
  readonly rpcCountable: boolean;
  /** Whether the lane can count each limit of `GET /auth/me`. */
  readonly meCountable: boolean;
}

/** The verdicts of a request's count, limiter by limiter, in the order counted. */
class Tally implements LaneTally {
  constructor(
    readonly refused: boolean,
    readonly verdicts: readonly (readonly [RateLimiter, Verdict])[],
  ) {}
}

const NOTHING = new Tally(false, []);

/**
 * The gateway's rate limits, as its options set them.
 *
 * @param options the limits and the peer reader
 * @param trustedProxies how many proxies of the gateway's own are in front
 * @param telemetry where the unknown peers and the refusals go
 * @returns the limits
 */
export function gatewayLimits(
  options: LimitOptions,
  trustedProxies: number,
  telemetry: GatewayTelemetry,
): GatewayLimits {
  const peerOfRequest = requestPeerOf(trustedProxies, options.peer);
  const hooks = {
    keyOf: (c: Context) => {
      const peer = peerOf(c, trustedProxies, options.peer);
      return peer === undefined ? undefined : clientOf(peer);
    },
    // The same key without a context (not with a reader of the caller's own:
    // it reads a context).
    ...(peerOfRequest === undefined ? {} : {
      requestKeyOf: (request: Request, env: unknown) => {
        const peer = peerOfRequest(request, env);
        return peer === undefined ? undefined : clientOf(peer);
      },
    }),
    onUnknown: () =>
      telemetry.log("peer-unknown", {
        level: "error",
        event: "peer-unknown",
        message: "Rate limit: the peer's address is not known, so the request is not counted; " +
          "serve app.fetch as Deno.serve or Bun.serve pass it, or give the gateway a peer option",
      }),
    onLimited: (c: Context) =>
      telemetry.observe({ type: "rate-limit", route: scopeOf(c.req.path) || "other" }),
  };
  const limiter = options.rateLimit === undefined
    ? undefined
    : rateLimiter(options.rateLimit, hooks);
  const authLimiter = options.authRateLimit === undefined
    ? undefined
    : rateLimiter(options.authRateLimit, hooks);
  const all = limiter?.middleware;
  const auth = authLimiter?.middleware;
  // The lane's counts, in the order the middleware counts: `rateLimit`, then
  // (only if it allowed) `authRateLimit`.
  const rpcChain = limiter === undefined ? [] : [limiter];
  const meChain = [limiter, authLimiter].filter((l) => l !== undefined);
  const countable = (chain: RateLimiter[]) => chain.every((l) => l.count !== undefined);
  const count = (chain: RateLimiter[], request: Request, env: unknown): Tally => {
    if (chain.length === 0) return NOTHING;
    const verdicts: [RateLimiter, Verdict][] = [];
    for (const l of chain) {
      const verdict = l.count!(request, env);
      verdicts.push([l, verdict]);
      if (verdict > 0) return new Tally(true, verdicts);
    }
    return new Tally(false, verdicts);
  };
  return {
    // The limits of the request's scope, then the route. The session limit
    // covers every route that checks a session: /auth/*, and /admin/* unless
    // a Bearer credential is presented (requireAdmin() then checks it as the
    // admin key, and a wrong one costs no upstream call). Any other
    // Authorization header falls through to the cookie session: counted.
    limited: (c, next, scope) => {
      if (scope === "" || (all === undefined && auth === undefined)) return next();
      const session = auth !== undefined &&
        (scope === "auth" ||
          (scope === "admin" && bearerOf(c.req.header("authorization")) === undefined));
      const rest = session ? () => auth(c, next) as Promise<void> : next;
      return all === undefined ? rest() : all(c, rest) as Promise<Response | void>;
    },
    rpcCountable: countable(rpcChain),
    meCountable: countable(meChain),
    count: (call, request, env) => count(call === "rpc" ? rpcChain : meChain, request, env),
    handOver: (request, tally) => {
      for (const [l, verdict] of (tally as Tally).verdicts) l.handOver(request, verdict);
    },
  };
}
