/**
 * What the Hono layer (`src/hono/`) uses of this folder beyond its public
 * entry: the resolver, the cookie codec and the cookie text. Not published
 * (no entry of the package points here); `tests/layering.test.ts` lets only
 * the layer right above import it.
 *
 * @module
 */
export { clearCookie, type CookieAttributes, parseCookies, serializeCookie } from "./_cookie.ts";
export {
  reportedError,
  type SessionOptions,
  SessionResolver,
  type SessionResult,
  type SessionSource,
} from "./_resolver.ts";
export {
  SessionCookieCodec,
  type SessionCookieOptions,
  type SessionTokens,
} from "./_session_cookies.ts";
export { type Session, sessionOf } from "./session.ts";
