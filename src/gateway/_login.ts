/**
 * The login flow of the gateway is the one of `authRoutes()` (`src/hono/`):
 * re-exported here for the gateway's tests and its profile routes.
 *
 * @module
 */
export { LoginFlow, safeRedirect, safeReturnPath } from "../hono/_internal.ts";
