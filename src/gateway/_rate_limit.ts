/**
 * A fixed-window rate limiter kept in memory, per process (per isolate on
 * Workers): a guard against bursts, not a global quota.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { GatewayError } from "./errors.ts";

/** Options of the gateway's rate limiter. */
export interface RateLimitOptions {
  /** Requests allowed per window and key. */
  limit: number;
  /** Length of a window in seconds. */
  windowSeconds: number;
  /**
   * The key a request counts against. Default: the peer's address as the
   * Deno and Bun entries pass it (`remoteAddr` in the app's env), else
   * `CF-Connecting-IP` (set by Cloudflare on Workers), else one shared key.
   * Headers a client can set (`X-Forwarded-For`) are not trusted by default:
   * behind a proxy of your own, give a `key` that reads what it sets.
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

function defaultKey(c: Context): string {
  const remote = (c.env as { remoteAddr?: unknown } | undefined)?.remoteAddr;
  if (typeof remote === "string" && remote !== "") return clientOf(remote);
  const cf = c.req.header("cf-connecting-ip");
  if (cf) return clientOf(cf);
  return "shared";
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
 * @returns the middleware
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const limit = options.limit;
  const windowMs = options.windowSeconds * 1000;
  if (!Number.isInteger(limit) || limit < 1 || !(windowMs > 0)) {
    throw new RangeError("Invalid rateLimit: limit and windowSeconds must be positive");
  }
  const now = options.now ?? Date.now;
  const keyOf = options.key ?? defaultKey;
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
      const retryAfter = Math.max(1, Math.ceil((w.start + windowMs - t) / 1000));
      throw new GatewayError(429, "ERR_RATE_LIMITED", "Too many requests: slow down", {
        "retry-after": String(retryAfter),
      });
    }
    await next();
  };
}
