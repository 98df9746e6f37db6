/**
 * The session cookies on a Hono context: the codec of `src/web/` (the one
 * that signs, verifies and writes them) applied to `c`, and the request's
 * cookies parsed once per request.
 *
 * @module
 */
import type { Context } from "hono";
import type { CurrentUser } from "../client/mod.ts";
import {
  parseCookies,
  type Session,
  SessionCookieCodec,
  type SessionCookieOptions,
  type SessionTokens,
} from "../web/_internal.ts";

const JAR: unique symbol = Symbol("authlite.cookies");

/**
 * The request's cookies, parsed once per request (a session reads three of
 * them, the login flow one more). Kept on the context, which every layer of a
 * request shares (a `WeakMap` keyed by the request cost an entry per request).
 *
 * @param c the context
 * @returns name → value
 */
export function requestCookies(c: Context): Record<string, string> {
  const held = c as unknown as { [JAR]?: Record<string, string> };
  let jar = held[JAR];
  if (jar === undefined) {
    jar = parseCookies(c.req.header("cookie"));
    held[JAR] = jar;
  }
  return jar;
}

/**
 * Append `Set-Cookie` lines to the reply of `c`.
 *
 * @param c the context
 * @param lines the lines
 */
export function appendCookies(c: Context, lines: readonly string[]): void {
  for (const line of lines) c.header("set-cookie", line, { append: true });
}

/** The session cookies of one site, on Hono contexts (the gateway's, read by users' apps too). */
export class SessionCookies {
  /** The codec. */
  readonly codec: SessionCookieCodec;

  /**
   * Create the cookies of one site.
   *
   * @param secret the key that signs profile cookies (the `sessionSecret`;
   *   without it no profile cookie is read or written), or the codec to use
   * @param options the cookie settings (with a secret)
   */
  constructor(
    secret: string | undefined | SessionCookieCodec,
    options: SessionCookieOptions = {},
  ) {
    this.codec = secret instanceof SessionCookieCodec
      ? secret
      : new SessionCookieCodec(secret, options);
  }

  /**
   * The tokens of the request's session cookies.
   *
   * @param c the context
   * @returns the tokens found (either may be missing)
   */
  tokens(c: Context): SessionTokens {
    return this.codec.tokens(requestCookies(c));
  }

  /**
   * Set the session cookies of a new or rotated session.
   *
   * @param c the context
   * @param access the access token
   * @param refresh the refresh token, if any
   * @param profile the user to sign and bind to the access token
   */
  set(c: Context, access: string, refresh: string | null, profile: Session | CurrentUser): void {
    appendCookies(c, this.codec.set(requestCookies(c), access, refresh, profile));
  }

  /**
   * Clear every session cookie.
   *
   * @param c the context
   */
  clear(c: Context): void {
    appendCookies(c, this.codec.clear());
  }

  /**
   * The user of the request's profile cookie, if it is signed with this
   * secret and bound to `access`.
   *
   * @param c the context
   * @param access the access token of the session
   * @returns the user with the time their roles were read, or `undefined`
   */
  profile(c: Context, access: string): CurrentUser | undefined {
    return this.codec.profile(requestCookies(c), access);
  }
}
