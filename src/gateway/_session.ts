/**
 * Browser sessions of the gateway: the session cookies (tokens and the
 * signed profile, in `src/hono/cookies.ts`, shared with the middleware of
 * users' own apps) and the login flow's own cookie.
 *
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { type Session, type SessionCookieOptions, SessionCookies } from "../hono/mod.ts";

export type { SessionCookieOptions };

/** What the gateway knows of the signed-in user (the middleware's session). */
export type Profile = Session;

/** The session cookies of one gateway, and the cookie of a login started here. */
export class Sessions extends SessionCookies {
  #prefix: string;
  #attributes: CookieOptions;

  /**
   * @param secret the key that signs profile cookies (at least 32 characters)
   * @param options the cookie settings
   */
  constructor(secret: string, options: SessionCookieOptions = {}) {
    super(secret, options);
    this.#prefix = options.prefix ?? "authlite_";
    // The same attributes as the session cookies'.
    this.#attributes = {
      httpOnly: true,
      secure: options.secure ?? true,
      sameSite: "Lax",
      path: "/",
      ...(options.domain === undefined ? {} : { domain: options.domain }),
    };
  }

  /** The name of the cookie that marks a login started here. */
  get loginCookie(): string {
    return `${this.#prefix}login`;
  }

  /**
   * Set the short-lived cookie that marks a login started by this browser,
   * with the path to return to afterwards.
   *
   * @param c the context
   * @param returnTo a path of this site
   */
  startLogin(c: Context, returnTo: string): void {
    setCookie(c, this.loginCookie, returnTo, { ...this.#attributes, maxAge: 600 });
  }

  /**
   * Take the login cookie (and clear it).
   *
   * @param c the context
   * @returns the path to return to, or `undefined` when no login was started here
   */
  finishLogin(c: Context): string | undefined {
    const value = getCookie(c, this.loginCookie);
    if (value === undefined) return undefined;
    const { maxAge: _maxAge, ...attributes } = this.#attributes;
    deleteCookie(c, this.loginCookie, attributes);
    return safeReturnPath(value);
  }
}

/**
 * A path of this site, or `/` when the value could lead elsewhere (an absolute
 * URL, a protocol-relative `//host` or a backslash trick).
 *
 * @param value what the caller asked for
 * @returns a safe local path
 */
export function safeReturnPath(value: string | undefined): string {
  if (value === undefined || value === "") return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return "/";
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) < 0x20) return "/";
  return value;
}
