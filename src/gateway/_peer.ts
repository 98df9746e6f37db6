/**
 * The address of the peer a request came from, for the rate limiter: read from
 * what the server passes as the app's env, in every way the gateway is served
 * (`Deno.serve(app.fetch)`, `Bun.serve({ fetch: app.fetch })`,
 * `@hono/node-server`, the runtime entries), or from a reader the caller
 * passes (hono's `getConnInfo` adapters fit). Headers a client can set are
 * trusted only where the platform sets them: `CF-Connecting-IP` on Cloudflare
 * Workers (a request with Cloudflare's `cf` object), `X-Forwarded-For` only
 * when a number of trusted proxies is configured.
 *
 * @module
 */
import type { Context } from "hono";

/** What a peer reader returns: an address, hono's `ConnInfo`, or nothing known. */
export type PeerInfo = string | { remote: { address?: string | undefined } } | undefined;

/** Reads the peer's address of a request (e.g. hono's `getConnInfo` from `hono/bun`). */
export type PeerReader = (c: Context) => PeerInfo;

type Env = Record<string, unknown>;

function addressOf(info: PeerInfo): string | undefined {
  const a = typeof info === "string" ? info : info?.remote?.address;
  return typeof a === "string" && a !== "" ? a : undefined;
}

/**
 * The socket peer as the server put it into the app's env, else, on Workers,
 * `CF-Connecting-IP`; `undefined` when nothing says.
 *
 * @param c the context
 * @returns the address, if known
 */
export function serverPeer(c: Context): string | undefined {
  const env = c.env as Env | undefined;
  if (typeof env === "object" && env !== null) {
    // The runtime entries of this package: `{ remoteAddr: "203.0.113.7" }`.
    // Deno.serve(app.fetch): the second argument is `ServeHandlerInfo`.
    const remote = env["remoteAddr"];
    if (typeof remote === "string" && remote !== "") return remote;
    if (typeof remote === "object" && remote !== null) {
      const host = (remote as { hostname?: unknown }).hostname;
      if (typeof host === "string" && host !== "") return host;
    }
    // Bun.serve({ fetch: app.fetch }): the second argument is the server (as hono/bun reads it).
    const server =
      (typeof env["server"] === "object" && env["server"] !== null ? env["server"] : env) as {
        requestIP?: unknown;
      };
    if (typeof server.requestIP === "function") {
      try {
        const info = (server.requestIP as (r: Request) => { address?: string } | null)(c.req.raw);
        if (typeof info?.address === "string" && info.address !== "") return info.address;
      } catch {
        // Not a Bun server after all.
      }
    }
    // @hono/node-server: `{ incoming, outgoing }`.
    const incoming = env["incoming"] as { socket?: { remoteAddress?: unknown } } | undefined;
    const nodeAddress = incoming?.socket?.remoteAddress;
    if (typeof nodeAddress === "string" && nodeAddress !== "") return nodeAddress;
  }
  // Cloudflare Workers: only the platform creates a request with `cf`, and it
  // sets CF-Connecting-IP itself. Anywhere else the header is the client's word.
  const cf = (c.req.raw as { cf?: unknown }).cf;
  if (typeof cf === "object" && cf !== null) {
    const ip = c.req.header("cf-connecting-ip");
    if (ip !== undefined && ip !== "") return ip;
  }
  return undefined;
}

/**
 * A reader of `CF-Connecting-IP`, for a Worker (Cloudflare sets the header and
 * overwrites a client's): never use it where Cloudflare is not in front.
 *
 * @param c the context
 * @returns the address Cloudflare saw
 */
export function cloudflarePeer(c: Context): PeerInfo {
  return c.req.header("cf-connecting-ip");
}

/**
 * The client's address: the socket peer (or what `reader` says), then, with
 * `trustedProxies` of N, the Nth address from the right of `X-Forwarded-For`
 * (each trusted proxy appends the address it saw; entries further left are
 * the client's word). With fewer entries than N, the leftmost one.
 *
 * @param c the context
 * @param trustedProxies how many proxies of your own are in front (0: X-Forwarded-For ignored)
 * @param reader reads the socket peer (default {@linkcode serverPeer})
 * @returns the address, or `undefined` when nothing says
 */
export function peerOf(
  c: Context,
  trustedProxies: number,
  reader?: PeerReader,
): string | undefined {
  let socket: string | undefined;
  try {
    socket = reader === undefined ? serverPeer(c) : addressOf(reader(c));
  } catch {
    socket = undefined;
  }
  if (trustedProxies <= 0) return socket;
  const forwarded = c.req.header("x-forwarded-for");
  const hops = forwarded === undefined
    ? []
    : forwarded.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (hops.length === 0) return socket;
  return hops[Math.max(0, hops.length - trustedProxies)];
}
