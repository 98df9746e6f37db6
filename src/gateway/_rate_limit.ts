/**
 * A fixed-window rate limiter kept in memory, per process (per isolate on
 * Workers): a guard against bursts, not a global quota.
 *
 * Its count can also be taken without a Hono context (the gateway's hot lane
 * counts in front of Hono's dispatch), from the request and the env the
 * server passed: a request counted there carries its verdict to the
 * middleware, which follows it instead of counting the request again.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { GatewayError } from "./errors.ts";
import { peerOf } from "./_peer.ts";

/** Options of the gateway's rate limiter. */
export interface RateLimitOptions {
  /** Requests allowed per window and key. */
  limit: number;
  /** Length of a window in seconds. */
  windowSeconds: number;
  /**
   * The key a request counts against. Default: the peer's address (see the
   * gateway's `peer` and `trustedProxies` options), an IPv6 peer by its /64.
   * A request whose peer is not known is not counted (and the gateway logs it
   * once per interval): a key shared by every such request would let one
   * client lock all the others out. A key function reads a Hono context: the
   * gateway then answers every call of the limit's scope through Hono's
   * middleware (no hot lane).
   */
  key?: (c: Context) => string;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /**
   * How many keys are tracked at most (default 10 000). Past it, the key
   * idle the longest among those not blocked is forgotten first; a blocked
   * key only when every tracked key is blocked.
   */
  maxKeys?: number;
}

function defaultKey(c: Context): string | undefined {
  const peer = peerOf(c, 0);
  return peer === undefined ? undefined : clientOf(peer);
}

/** What the gateway hooks into a limiter: how it finds the key, and what it is told. */
export interface RateLimitHooks {
  /** The key when `options.key` is not given; `undefined`: peer unknown, not counted. */
  keyOf?: (c: Context) => string | undefined;
  /**
   * The key from the request and the app's env, without a context (the same
   * as `keyOf`'s): given, and no `options.key`, the limiter counts outside
   * Hono too ({@linkcode RateLimiter.count}).
   */
  requestKeyOf?: (request: Request, env: unknown) => string | undefined;
  /** A request whose peer is not known. */
  onUnknown?: () => void;
  /** A request refused. */
  onLimited?: (c: Context) => void;
}

/**
 * The client an address stands for: an IPv4 address itself, an IPv6 address
 * by its /64 (one host holds a whole /64 and may rotate through it; an
 * IPv4-mapped IPv6 address, dotted or in hex, is its IPv4 address). A port
 * some proxies write into `X-Forwarded-For` (`203.0.113.7:41234`,
 * `[2001:db8::1]:443`) is dropped: each new connection has another.
 *
 * @param address the peer's address
 * @returns the key to count it under
 */
export function clientOf(address: string): string {
  const bare = address
    .replace(/^\[([^\]]*)\](?::\d*)?$|^(\d+\.\d+\.\d+\.\d+):\d*$/, "$1$2")
    .replace(/^\[|\]$/g, "")
    .replace(/%.*$/, "");
  if (!bare.includes(":")) return bare;
  const mapped = /^(?:0*:)*:?ffff:(?:(\d+\.\d+\.\d+\.\d+)|([\da-f]{1,4}):([\da-f]{1,4}))$/i
    .exec(bare);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (mapped?.[2] !== undefined && mapped[3] !== undefined) {
    const [hi, lo] = [parseInt(mapped[2], 16), parseInt(mapped[3], 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const [head = "", tail] = bare.toLowerCase().split("::", 2);
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined
    ? left
    : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/**
 * What a count says: {@linkcode UNCOUNTED} (the peer is not known: not
 * counted, and `onUnknown` told), {@linkcode ALLOWED}, or a number of
 * seconds: refused, retry after that long.
 */
export type Verdict = number;
/** The peer is not known: not counted (and `onUnknown` told). */
export const UNCOUNTED: Verdict = -1;
/** Counted, within the limit. */
export const ALLOWED: Verdict = 0;

/** A rate limiter: its middleware, and its count outside Hono. */
export interface RateLimiter {
  /**
   * The middleware: counts the request (or follows the verdict handed over
   * with it) and throws a 429 error past the limit, after telling
   * `onLimited`.
   */
  readonly middleware: MiddlewareHandler;
  /**
   * Count a request without a context, from the request and the app's env;
   * `onLimited` is not told (the middleware tells it when it answers the
   * refusal). `undefined` when the key needs a context (`options.key`, or no
   * `requestKeyOf` hook).
   */
  readonly count: ((request: Request, env: unknown) => Verdict) | undefined;
  /**
   * Hand a verdict of {@linkcode RateLimiter.count} over with the request (as
   * it will reach the app): the middleware follows it, once, instead of
   * counting the request again.
   */
  handOver(request: Request, verdict: Verdict): void;
}

/**
 * A middleware that answers 429 with `Retry-After` once a key has used up its
 * window.
 *
 * @param options the limit, the window and the key
 * @param hooks the default key and what to tell (the gateway's)
 * @returns the middleware
 * @throws {RangeError} when the limit or the window is not positive
 */
export function rateLimit(
  options: RateLimitOptions,
  hooks: RateLimitHooks = {},
): MiddlewareHandler {
  return rateLimiter(options, hooks).middleware;
}

function limitedError(retryAfter: number): Error {
  return new GatewayError(429, "ERR_RATE_LIMITED", "Too many requests: slow down", {
    "retry-after": String(retryAfter),
  });
}

/**
 * A rate limiter: {@linkcode rateLimit}'s middleware, and the same count
 * without a context.
 *
 * @param options the limit, the window and the key
 * @param hooks the default key and what to tell (the gateway's)
 * @returns the limiter
 * @throws {RangeError} when the limit or the window is not positive
 */
export function rateLimiter(options: RateLimitOptions, hooks: RateLimitHooks = {}): RateLimiter {
  const limit = options.limit;
  const windowMs = options.windowSeconds * 1000;
  if (!Number.isInteger(limit) || limit < 1 || !(windowMs > 0)) {
    throw new RangeError("Invalid rateLimit: limit and windowSeconds must be positive");
  }
  const now = options.now ?? Date.now;
  const keyOf: (c: Context) => string | undefined = options.key ?? hooks.keyOf ?? defaultKey;
  const requestKeyOf = options.key === undefined ? hooks.requestKeyOf : undefined;
  const maxKeys = options.maxKeys ?? 10_000;
  // Keys within their limit, and keys blocked until their window ends, each
  // in the order their window started: forgetting the oldest open key is
  // O(1), and a flood of new keys cannot unblock a blocked one.
  const open = new Map<string, { start: number; count: number }>();
  const blocked = new Map<string, { start: number; count: number }>();
  const evict = (current: string, t: number) => {
    while (open.size + blocked.size > maxKeys) {
      const stale = blocked.entries().next().value;
      if (stale !== undefined && t - stale[1].start >= windowMs) {
        blocked.delete(stale[0]);
        continue;
      }
      const oldest = open.keys().next().value;
      if (oldest !== undefined && oldest !== current) {
        open.delete(oldest);
        continue;
      }
      const first = blocked.keys().next().value;
      if (first === undefined) break;
      blocked.delete(first);
    }
  };
  /** Count one request of `key` at `t`: ALLOWED, or the seconds until its window ends. */
  const take = (key: string, t: number): Verdict => {
    let w = blocked.get(key) ?? open.get(key);
    if (w === undefined || t - w.start >= windowMs) {
      blocked.delete(key);
      open.delete(key);
      w = { start: t, count: 0 };
      open.set(key, w);
      evict(key, t);
    }
    w.count++;
    if (w.count <= limit) return ALLOWED;
    if (open.delete(key)) blocked.set(key, w);
    return Math.max(1, Math.ceil((w.start + windowMs - t) / 1000));
  };
  const handed = new WeakMap<Request, Verdict>();
  const middleware: MiddlewareHandler = async (c, next) => {
    const request = c.req.raw;
    let verdict = handed.get(request);
    if (verdict !== undefined) {
      handed.delete(request);
    } else {
      const t = now();
      const key = keyOf(c);
      if (key === undefined) hooks.onUnknown?.();
      verdict = key === undefined ? UNCOUNTED : take(key, t);
    }
    if (verdict > 0) {
      hooks.onLimited?.(c);
      throw limitedError(verdict);
    }
    await next();
  };
  const count = requestKeyOf === undefined ? undefined : (request: Request, env: unknown) => {
    const t = now();
    const key = requestKeyOf(request, env);
    if (key !== undefined) return take(key, t);
    hooks.onUnknown?.();
    return UNCOUNTED;
  };
  return {
    middleware,
    count,
    handOver: (request, verdict) => void handed.set(request, verdict),
  };
}
