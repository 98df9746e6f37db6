/**
 * Sign-in and sessions for your own Hono apps, with the sessions of the
 * authlite gateway (its cookies) or `Authorization: Bearer <access token>`,
 * validated through the TrustAuthX client and its token cache.
 *
 * - `authRoutes({ client, sessionSecret })`: `/login`, `/callback`, `/logout`
 *   and `/me`, mountable under any prefix (or served alone through `.fetch`).
 * - `authlite({ client, sessionSecret })` reads, validates and refreshes the
 *   session and puts the user on `c.var.session` (typed through Hono's `Env`).
 * - `getSession(c)` answers `{uid, email, name, img, roles}` or `null`;
 *   `getAuthLite(c)` the whole state, with the error that kept a session from
 *   being read (the route runs anyway).
 * - `requireSession()` answers 401 (503 during an outage),
 *   `requirePermission(key, value)` 403, with the error body
 *   `{error: {code, message}}`.
 *
 * For a framework other than Hono, `sessionFromRequest()` of the `./web`
 * entry reads the session of any Web `Request`.
 *
 * @example Sign in and protect your own routes
 * ```ts
 * import { Hono } from "hono";
 * import { AuthLiteClient, memoryStore } from "@authlite/authlite";
 * import { authlite, authRoutes, getSession, requirePermission, requireSession } from "@authlite/authlite/hono";
 *
 * const client = new AuthLiteClient({
 *   apiKey: "key_demo",
 *   secretKey: "demo-secret",
 *   orgId: "org_demo",
 *   tokenCache: memoryStore(),
 * });
 * const sessionSecret = "a long random string of 32+ characters";
 * const app = new Hono()
 *   .route("/auth", authRoutes({ client, sessionSecret }))
 *   .use(authlite({ client, sessionSecret }))
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
} from "./middleware.ts";
export { authRoutes } from "./routes.ts";
export type { AuthRoutesOptions } from "./routes.ts";
export type { RateLimitSettings } from "./_rate_limit.ts";
export type { AuthRoutesSchema, MeReply } from "./_schema.ts";
export type { Session, SessionCookieOptions, SessionSource } from "../web/mod.ts";
export { AuthLiteHonoError } from "./errors.ts";
export type { ErrorBody, ErrorCode, ErrorIssue, ErrorStatus } from "./errors.ts";
