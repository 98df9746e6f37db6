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
