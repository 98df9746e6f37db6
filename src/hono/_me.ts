/**
 * The session of a session route (`GET /me` and the routes that read the
 * cookies' user), and the reply of `GET /me` when it is a plain hit: shared by
 * the routes and by the gateway's hot lane, which resolves a session before
 * the app sees the request and hands it on when the reply needs more.
 *
 * @module
 */
import type { Context } from "hono";
import type { Session, SessionResolver, SessionResult } from "../web/_internal.ts";
import type { MeReply } from "./_schema.ts";
import { noStoreJson } from "./_reply.ts";
import { appendCookies, requestCookies } from "./cookies.ts";

/** Sessions resolved before the app saw their request (the gateway's hot lane). */
const handedOver = new WeakMap<Request, SessionResult>();

/**
 * The request's session, through the kit's resolver, with its cookies set on
 * the reply; one handed over with the request is taken instead.
 *
 * @param kit the kit (its resolver)
 * @param c the context
 * @returns what the resolver found
 */
export async function sessionOn(
  kit: { resolver: SessionResolver },
  c: Context,
): Promise<SessionResult> {
  const request = c.req.raw;
  const given = handedOver.get(request);
  if (given !== undefined) handedOver.delete(request);
  const found = given ?? await kit.resolver.resolve(undefined, requestCookies(c));
  appendCookies(c, found.setCookie);
  return found;
}

/**
 * Hand a request on to the routes with its session already resolved: the
 * route's {@linkcode sessionOn} takes it instead of resolving again (which
 * would refresh a session twice). Only code holding the request can do so.
 *
 * @param request the request, as it will reach the app
 * @param found what the kit's resolver found for it
 */
export function handOverSession(request: Request, found: SessionResult): void {
  handedOver.set(request, found);
}

/**
 * The reply of `GET /me` when it is a plain hit: a session, no cookie to
 * set, and no header for the route to add (the gateway adds them itself).
 *
 * @param kit the kit (whether its routes add the reply headers)
 * @param found what the resolver found
 * @returns the reply, or `undefined` when the route builds it on its context
 */
export function meHit(kit: { replyHeaders: boolean }, found: SessionResult): Response | undefined {
  if (found.session === null || kit.replyHeaders || found.setCookie.length !== 0) {
    return undefined;
  }
  return noStoreJson(meBody(found.session, found.refreshed));
}

/**
 * The body of `GET /me`.
 *
 * @param user the session's user
 * @param refreshed whether this request refreshed the session
 * @returns the body
 */
export function meBody(user: Session, refreshed: boolean): MeReply {
  return { user, session: { refreshed } };
}
