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
  return requestPeer(c.req.raw, c.env);
}

/**
 * {@linkcode serverPeer} without a context: from the request and the env the
 * server passed to the app's `fetch` (the gateway's hot lane counts there).
 *
 * @param request the request, as the server passed it
 * @param env the app's env (the server's second argument)
 * @returns the address, if known
 */
export function requestPeer(request: Request, env: unknown): string | undefined {
  if (typeof env === "object" && env !== null) {
    const e = env as Env;
    // The runtime entries of this package: `{ remoteAddr: "203.0.113.7" }`.
    // Deno.serve(app.fetch): the second argument is `ServeHandlerInfo`.
    const remote = e["remoteAddr"];
    if (typeof remote === "string" && remote !== "") return remote;
    if (typeof remote === "object" && remote !== null) {
      const host = (remote as { hostname?: unknown }).hostname;
      if (typeof host === "string" && host !== "") return host;
    }
    // Bun.serve({ fetch: app.fetch }): the second argument is the server (as hono/bun reads it).
    const server = (typeof e["server"] === "object" && e["server"] !== null ? e["server"] : e) as {
      requestIP?: unknown;
    };
    if (typeof server.requestIP === "function") {
      try {
        const info = (server.requestIP as (r: Request) => { address?: string } | null)(request);
        if (typeof info?.address === "string" && info.address !== "") return info.address;
      } catch {
        // Not a Bun server after all.
      }
    }
    // @hono/node-server: `{ incoming, outgoing }`.
    const incoming = e["incoming"] as { socket?: { remoteAddress?: unknown } } | undefined;
    const nodeAddress = incoming?.socket?.remoteAddress;
    if (typeof nodeAddress === "string" && nodeAddress !== "") return nodeAddress;
  }
  // Cloudflare Workers: only the platform creates a request with `cf`, and it
  // sets CF-Connecting-IP itself. Anywhere else the header is the client's word.
  const cf = (request as { cf?: unknown }).cf;
  if (typeof cf === "object" && cf !== null) {
    const ip = request.headers.get("cf-connecting-ip");
    if (ip !== null && ip !== "") return ip;
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
  return forwardedPeer(socket, c.req.raw, trustedProxies);
}

/**
 * {@linkcode peerOf} without a context, from the request and the env the
 * server passed to the app's `fetch`: for the default reader and
 * {@linkcode cloudflarePeer}; `undefined` for any other reader (it reads a
 * context).
 *
 * @param trustedProxies how many proxies of your own are in front
 * @param reader the gateway's reader (default {@linkcode serverPeer})
 * @returns the reader of a request's client address, if there is one
 */
export function requestPeerOf(
  trustedProxies: number,
  reader?: PeerReader,
): ((request: Request, env: unknown) => string | undefined) | undefined {
  const socketOf = reader === undefined
    ? requestPeer
    : reader === cloudflarePeer
    ? (request: Request) => request.headers.get("cf-connecting-ip") || undefined
    : undefined;
  if (socketOf === undefined) return undefined;
  return (request, env) => {
    let socket: string | undefined;
    try {
      socket = socketOf(request, env);
    } catch {
      socket = undefined;
    }
    return forwardedPeer(socket, request, trustedProxies);
  };
}

/** The client's address, given the socket peer: see {@linkcode peerOf}. */
function forwardedPeer(
  socket: string | undefined,
  request: Request,
  trustedProxies: number,
): string | undefined {
  if (trustedProxies <= 0) return socket;
  const forwarded = request.headers.get("x-forwarded-for");
  const hops = forwarded === null
    ? []
    : forwarded.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (hops.length === 0) return socket;
  return hops[Math.max(0, hops.length - trustedProxies)];
}
