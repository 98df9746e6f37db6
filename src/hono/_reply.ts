/**
 * Headers added to a finished reply. Set on the context before the handler
 * runs, headers make Hono build every reply from a `Headers` object (on Deno
 * that doubled the cost of a small JSON reply); added afterwards through
 * `c.header()`, they copy the reply. So they are set on the reply's own
 * headers, in place, when the runtime lets us (a reply built by a route), and
 * through `c.header()` otherwise (an immutable one, e.g. from `fetch()`).
 *
 * @module
 */
import type { Context } from "hono";

/**
 * Set a header on the finished reply of `c`, unless the reply has one of
 * that name already (what a route set itself wins, as when it was set first).
 *
 * @param c the context, after `await next()`
 * @param name the header's name (lower case)
 * @param value its value
 */
export function addReplyHeader(c: Context, name: string, value: string): void {
  const headers = c.res.headers;
  if (headers.has(name)) return;
  try {
    headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

/**
 * Set a header on the finished reply of `c`, replacing any of that name.
 *
 * @param c the context, after `await next()`
 * @param name the header's name (lower case)
 * @param value its value
 */
export function setReplyHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

const SECURED: unique symbol = Symbol("authlite.secured");
const NO_STORE_JSON = {
  "content-type": "application/json",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

/**
 * A JSON reply built with `Cache-Control: no-store` and `nosniff` from the
 * start (its headers a plain record given to the constructor: the cheapest
 * reply on Deno and on Bun, where touching a reply's headers afterwards costs
 * a fifth of a small request), and marked so that the middleware that adds
 * those headers leaves it alone. Only where nothing has set headers on the
 * context before (a returned `Response` drops them in Hono).
 *
 * @param body the JSON body (as `c.json()` would write it)
 * @param status the status (default 200)
 * @returns the reply
 */
export function noStoreJson(body: unknown, status = 200): Response {
  const res = new Response(JSON.stringify(body), { status, headers: NO_STORE_JSON });
  (res as unknown as Record<symbol, true>)[SECURED] = true;
  return res;
}

/**
 * Whether a reply came from {@linkcode noStoreJson} (it has the headers).
 *
 * @param res the reply
 * @returns `true` when it did
 */
export function isNoStoreJson(res: Response): boolean {
  return (res as unknown as Record<symbol, true | undefined>)[SECURED] === true;
}
