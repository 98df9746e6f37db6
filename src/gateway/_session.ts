/**
 * Browser sessions of the gateway: the session cookies (tokens and the
 * signed profile), shared with the middleware of users' own apps
 * (`src/hono/cookies.ts`). The login flow's own cookie is in `_login.ts`.
 *
 * @module
 */
import { type Session, type SessionCookieOptions, SessionCookies } from "../hono/mod.ts";

export type { SessionCookieOptions };

/** What the gateway knows of the signed-in user (the middleware's session). */
export type Profile = Session;

/** The session cookies of one gateway. */
export { SessionCookies as Sessions };
