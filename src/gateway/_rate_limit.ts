/**
 * A fixed-window rate limiter kept in memory, per process (per isolate on
 * Workers): a guard against bursts, not a global quota.
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
   * client lock all the others out.
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
  /** A request whose peer is not known. */
  onUnknown?: (c: Context) => void;
  /** A request refused. */
  onLimited?: (c: Context) => void;
}

/**
 * The client an address stands for: an IPv4 address itself, an IPv6 address
 * by its /64 (one host holds a whole /64 and may rotate through it; an
 * IPv4-mapped IPv6 address is its IPv4 address).
 *
 * @param address the peer's address
 * @returns the key to count it under
 */
export function clientOf(address: string): string {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (!bare.includes(":")) return bare;
  const mapped = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1] !== undefined) return mapped[1];
  const [head = "", tail] = bare.toLowerCase().split("::", 2);
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined
    ? left
    : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
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
  const limit = options.limit;
  const windowMs = options.windowSeconds * 1000;
  if (!Number.isInteger(limit) || limit < 1 || !(windowMs > 0)) {
    throw new RangeError("Invalid rateLimit: limit and windowSeconds must be positive");
  }
  const now = options.now ?? Date.now;
  const keyOf: (c: Context) => string | undefined = options.key ?? hooks.keyOf ?? defaultKey;
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
  return async (c, next) => {
    const t = now();
    const key = keyOf(c);
    if (key === undefined) {
      hooks.onUnknown?.(c);
      return await next();
    }
    let w = blocked.get(key) ?? open.get(key);
    if (w === undefined || t - w.start >= windowMs) {
      blocked.delete(key);
      open.delete(key);
      w = { start: t, count: 0 };
      open.set(key, w);
      evict(key, t);
    }
    w.count++;
    if (w.count > limit) {
      if (open.delete(key)) blocked.set(key, w);
      hooks.onLimited?.(c);
      const retryAfter = Math.max(1, Math.ceil((w.start + windowMs - t) / 1000));
      throw new GatewayError(429, "ERR_RATE_LIMITED", "Too many requests: slow down", {
        "retry-after": String(retryAfter),
      });
    }
    await next();
  };
}
