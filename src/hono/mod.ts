/**
 * Middleware for your own Hono apps: protect routes with the sessions of the
 * authlite gateway (its cookies) or with `Authorization: Bearer <access
 * token>`, validated through the TrustAuthX client and its token cache.
 *
 * - `authlite({ client })` reads, validates and refreshes the session and
 *   puts the user on `c.var.session` (typed through Hono's `Env`).
 * - `getSession(c)` answers `{uid, email, name, img, roles}` or `null`.
 * - `requireSession()` answers 401, `requirePermission(key, value)` 403, with
 *   the gateway's error body `{error: {code, message}}`.
 *
 * @example Protect your own routes
 * ```ts
 * import { Hono } from "hono";
 * import { AuthLiteClient, memoryStore } from "@authlite/authlite";
 * import { authlite, getSession, requirePermission, requireSession } from "@authlite/authlite/hono";
 *
 * const client = new AuthLiteClient({
 *   apiKey: "key_demo",
 *   secretKey: "demo-secret",
 *   orgId: "org_demo",
 *   tokenCache: memoryStore(),
 * });
 * const app = new Hono()
 *   .use(authlite({ client, sessionSecret: "the gateway's session secret, 32+ chars" }))
 *   .get("/", (c) => c.text(`Hello ${getSession(c)?.name ?? "stranger"}`))
 *   .get("/me", requireSession(), (c) => c.json(c.var.session))
 *   .delete("/invoices/:id", requirePermission("invoices", "delete"), (c) => c.body(null, 204));
 *
 * const res = await app.request("/me");
 * console.assert(res.status === 401); // {error: {code: "ERR_UNAUTHORIZED", message}}
 * ```
 *
 * @module
 */
export {
  authlite,
  getAuthLite,
  getSession,
  requirePermission,
  requireSession,
} from "./middleware.ts";
export type {
  AuthLiteEnv,
  AuthLiteOptions,
  AuthLiteState,
  AuthLiteVariables,
  SessionSource,
} from "./middleware.ts";
export { SessionCookies } from "./cookies.ts";
export type { Session, SessionCookieOptions } from "./cookies.ts";
export { AuthLiteHonoError, errorBody, replyOfError } from "./errors.ts";
export type { ErrorBody, ErrorCode, ErrorIssue, ErrorStatus } from "./errors.ts";
