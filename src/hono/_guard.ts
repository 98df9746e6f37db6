/**
 * The middleware in front of `authRoutes()`: the routes' rate limit, and
 * `Cache-Control: no-store` with `nosniff` on every reply when the routes add
 * their own (not in the gateway, whose middleware adds them to every session
 * route already).
 *
 * @module
 */
import type { Context, MiddlewareHandler, Next } from "hono";
import { addReplyHeader } from "./_reply.ts";

/**
 * The reply of a refusal of the rate limit, or `undefined` to throw it on
 * (to the app's error handler).
 */
export type Refusal = (c: Context, err: unknown) => Response | undefined;

/** The rest of the chain behind the rate limit: a refusal answered by `refuse` is its reply. */
function limited(
  limiter: MiddlewareHandler | undefined,
  refuse: Refusal,
  c: Context,
  next: Next,
): Promise<Response | void> {
  return limiter === undefined ? next() : limitedBy(limiter, refuse, c, next);
}

async function limitedBy(
  limiter: MiddlewareHandler,
  refuse: Refusal,
  c: Context,
  next: Next,
): Promise<Response | void> {
  let passed = false;
  try {
    await limiter(c, () => {
      passed = true;
      return next();
    });
  } catch (err) {
    const reply = passed ? undefined : refuse(c, err);
    if (reply === undefined) throw err;
    return reply;
  }
}

/**
 * The routes' middleware, if they need one.
 *
 * @param limiter the rate limit, if any
 * @param replyHeaders whether to add the two headers
 * @param refuse the reply of a refusal (a browser's step gets its page)
 * @returns the middleware, or `undefined` when there is nothing to do
 */
export function routesGuard(
  limiter: MiddlewareHandler | undefined,
  replyHeaders: boolean,
  refuse: Refusal,
): MiddlewareHandler | undefined {
  if (!replyHeaders) {
    // One middleware less on every session request when nothing is limited here.
    return limiter === undefined ? undefined : async (c, next) => {
      const refused = await limited(limiter, refuse, c, next);
      if (refused !== undefined && !c.finalized) c.res = refused;
    };
  }
  return async (c, next) => {
    let refused: Response | void;
    try {
      refused = await limited(limiter, refuse, c, next);
    } catch (err) {
      // A refusal answered by the app's error handler: on the context, the
      // headers join the reply it builds.
      c.header("cache-control", "no-store");
      c.header("x-content-type-options", "nosniff");
      throw err;
    }
    if (refused !== undefined && !c.finalized) c.res = refused;
    // On the finished reply, in place (see _reply.ts), whatever built it.
    addReplyHeader(c, "cache-control", "no-store");
    addReplyHeader(c, "x-content-type-options", "nosniff");
  };
}
