/**
 * Browser sessions of the gateway: the session cookies are those of
 * `authRoutes()` and the middleware (`src/web/`, `src/hono/`).
 *
 * @module
 */
export type { SessionCookieOptions } from "../hono/mod.ts";
