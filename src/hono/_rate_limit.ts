/**
 * The built-in rate limit of `authRoutes()`: a fixed window per client
 * address, in process memory, bounded. A guard against bursts at the routes
 * that cost upstream calls, not a global quota. The gateway passes its own
 * limiter instead (`rateLimit` option).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { AuthLiteHonoError } from "./errors.ts";
import { BoundedMap } from "../_bounded_map.ts";

/** Settings of the built-in rate limit. */
export interface RateLimitSettings {
  /** Requests allowed per window and client (default 300). */
  limit?: number;
  /** Length of a window in seconds (default 60). */
  windowSeconds?: number;
  /**
   * The key a request counts against (default: the peer's address, read from
   * the runtime the way `Deno.serve(app.fetch)`, `Bun.serve({fetch})`,
   * `@hono/node-server` and Cloudflare Workers pass it; a request whose peer
   * cannot be read is not limited). Behind a proxy of your own, give a key
   * that reads what the proxy sets.
   */
  key?: (c: Context) => string | undefined;
  /**
   * How many keys are tracked at most (default 10 000) within their limit, and
   * as many blocked: the oldest window goes first, a blocked key only for
   * another blocked key.
   */
  maxKeys?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
}

interface Env {
  remoteAddr?: unknown;
  requestIP?: (req: Request) => { address?: string } | null;
  server?: { requestIP?: (req: Request) => { address?: string } | null };
  incoming?: { socket?: { remoteAddress?: string } };
}

/**
 * The peer's address of a request, as the runtimes hand it to `app.fetch`:
 * `{remoteAddr}` (authlite's runtimes; Deno's `ServeHandlerInfo`), Bun's
 * server (`requestIP`), `@hono/node-server`'s `incoming`, or on Cloudflare
 * Workers `CF-Connecting-IP` (set by Cloudflare; trusted nowhere else).
 *
 * @param c the context
 * @returns the address, or `undefined` when the runtime does not say
 */
export function peerOf(c: Context): string | undefined {
  const env = c.env as Env | undefined;
  if (env !== undefined && env !== null && typeof env === "object") {
    const remote = env.remoteAddr;
    if (typeof remote === "string" && remote !== "") return remote;
    if (typeof remote === "object" && remote !== null) {
      const host = (remote as { hostname?: unknown }).hostname;
      if (typeof host === "string" && host !== "") return host;
    }
    const bun = typeof env.requestIP === "function" ? env : env.server;
    if (typeof bun?.requestIP === "function") {
      try {
        const address = bun.requestIP(c.req.raw)?.address;
        if (typeof address === "string" && address !== "") return address;
      } catch {
        // not Bun's server after all
      }
    }
    const node = env.incoming?.socket?.remoteAddress;
    if (typeof node === "string" && node !== "") return node;
  }
  if (
    (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ===
      "Cloudflare-Workers"
  ) {
    return c.req.header("cf-connecting-ip") || undefined;
  }
  return undefined;
}

/** An IPv6 address counts by its /64 (one host may hold a whole /64). */
function clientKey(address: string): string {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "").toLowerCase();
  if (!bare.includes(":")) return bare;
  const mapped = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped?.[1] !== undefined) return mapped[1];
  const [head = "", tail] = bare.split("::", 2);
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined
    ? left
    : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/**
 * A middleware that answers 429 (`ERR_RATE_LIMITED`, `Retry-After`) once a
 * client has used up its window.
 *
 * @param settings the limit, the window and the key
 * @returns the middleware
 * @throws {RangeError} when the limit or the window is not positive
 */
export function rateLimiter(settings: RateLimitSettings = {}): MiddlewareHandler {
  const limit = settings.limit ?? 300;
  const windowMs = (settings.windowSeconds ?? 60) * 1000;
  if (!Number.isInteger(limit) || limit < 1 || !(windowMs > 0)) {
    throw new RangeError("Invalid rateLimit: limit and windowSeconds must be positive");
  }
  const now = settings.now ?? Date.now;
  const keyOf = settings.key ?? ((c: Context) => {
    const peer = peerOf(c);
    return peer === undefined ? undefined : clientKey(peer);
  });
  const maxKeys = settings.maxKeys ?? 10_000;
  // Windows in the order they started: the oldest is forgotten first. A key
  // over its limit moves to a map of its own until its window ends, so that a
  // flood of new keys cannot unblock it (only other blocked keys can push it
  // out, and each of those cost the flood a whole window's worth of requests).
  const windows = new BoundedMap<string, { start: number; count: number }>(maxKeys, { now });
  const blocked = new BoundedMap<string, { start: number; count: number }>(maxKeys, { now });
  return async (c, next) => {
    const key = keyOf(c);
    if (key === undefined) return await next();
    const t = now();
    let w = blocked.get(key) ?? windows.get(key);
    if (w === undefined || t - w.start >= windowMs) {
      blocked.delete(key);
      w = { start: t, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    if (w.count > limit) {
      if (windows.delete(key)) blocked.set(key, w, w.start + windowMs);
      const retryAfter = Math.max(1, Math.ceil((w.start + windowMs - t) / 1000));
      throw new AuthLiteHonoError(429, "ERR_RATE_LIMITED", "Too many requests: slow down", {
        "retry-after": String(retryAfter),
      });
    }
    await next();
  };
}
