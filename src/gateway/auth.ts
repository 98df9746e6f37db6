/**
 * The browser session routes (backend for frontend): `/auth/login`,
 * `/auth/callback`, `/auth/me` and `/auth/logout` are `authRoutes()` of
 * `src/hono/` (one implementation), mounted at `/auth` and declared here for
 * the OpenAPI document; the profile pages are the gateway's own. Tokens live
 * in HttpOnly cookies only: never in a JSON reply of these routes, never in a
 * URL of ours.
 *
 * @module
 */
import { createRoute, OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type MeReply, routesOf, safeRedirect, sessionOf } from "../hono/_internal.ts";
import { currentSession, type GatewayDeps, originOf } from "./_deps.ts";
import { bodyErrorReplies, errorReplies, jsonBody, jsonReply } from "./_routes.ts";
import { AuthLiteHonoError, mapError, validationHook } from "./errors.ts";
import {
  CallbackQuery,
  LoginQuery,
  LogoutInput,
  LogoutSchema,
  MeSchema,
  ProfileCallbackQuery,
} from "./schemas.ts";

// The document's schema of `GET /auth/me` is the reply's type, field for field.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const meIsMe: Same<z.infer<typeof MeSchema>, MeReply> = true;
void meIsMe;

const redirect = (description: string) => ({
  description,
  headers: { location: { schema: { type: "string" as const } } },
});

// Declared for the OpenAPI document; served by authRoutes() (src/hono/routes.ts).
const documented = [
  createRoute({
    method: "get",
    path: "/auth/login",
    tags: ["Session"],
    summary: "Start a login: redirects to the TrustAuthX login widget",
    description:
      "A login starts only from this site or a person's own navigation (`Sec-Fetch-Site: same-origin` or `none`). Started from another site, it answers a page (200, HTML) whose button submits `POST /auth/login` (a form with `redirect`) from this origin.",
    request: { query: LoginQuery },
    responses: { 302: redirect("To the login widget"), ...errorReplies },
  }),
  createRoute({
    method: "get",
    path: "/auth/callback",
    tags: ["Session"],
    summary: "Where TrustAuthX sends the browser after a login: sets the session cookies",
    request: { query: CallbackQuery },
    responses: { 302: redirect("To the page after login"), ...errorReplies },
  }),
  createRoute({
    method: "get",
    path: "/auth/me",
    tags: ["Session"],
    summary: "The signed-in user; refreshes the session when the access token has expired",
    security: [{ session: [] }],
    responses: { 200: jsonReply(MeSchema, "The user and the session state"), ...errorReplies },
  }),
  createRoute({
    method: "post",
    path: "/auth/logout",
    tags: ["Session"],
    summary: "Sign out: revokes the session (or every session) and clears the cookies",
    description:
      "Only from this site: `Sec-Fetch-Site: same-origin`, else an `Origin` of this site, else (no browser signal) a JSON request.",
    security: [{ session: [] }],
    request: { body: jsonBody(LogoutInput, false) },
    responses: { 200: jsonReply(LogoutSchema, "Signed out"), ...bodyErrorReplies },
  }),
];

const profileRoute = createRoute({
  method: "get",
  path: "/auth/profile",
  tags: ["Session"],
  summary: "Redirects to the user's profile settings on TrustAuthX",
  security: [{ session: [] }],
  responses: { 302: redirect("To the profile settings"), ...errorReplies },
});

const profileCallbackRoute = createRoute({
  method: "get",
  path: "/auth/profile/callback",
  tags: ["Session"],
  summary: "Where TrustAuthX sends the browser back from the profile settings",
  request: { query: ProfileCallbackQuery },
  responses: { 302: redirect("To the page after the profile"), ...errorReplies },
});

/** `path` with one more query parameter. */
function withParam(path: string, name: string, value: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}${name}=${encodeURIComponent(value)}`;
}

/**
 * A browser that navigated here (it asks for HTML) is sent back to the page
 * with `?error=<code>`, which the page shows in words; an API caller gets the
 * JSON error as from every other route.
 */
function failBrowser(c: Context, path: string, err: unknown): Response {
  if (!(c.req.header("accept") ?? "").includes("text/html")) throw err;
  return safeRedirect(c, withParam(path, "error", mapError(err).body.error.code));
}

/**
 * The session routes.
 *
 * @param deps the gateway
 * @returns the routes as an app to mount at `/`
 */
export function authRoutes(deps: GatewayDeps) {
  const { client } = deps;
  const cookies = deps.auth.cookies;
  const app = new OpenAPIHono({ defaultHook: validationHook });
  for (const route of documented) app.openAPIRegistry.registerPath(route);
  return app
    .route("/auth", routesOf(deps.auth))
    .openapi(profileRoute, async (c) => {
      try {
        if (!deps.profileEditing) {
          throw new AuthLiteHonoError(
            403,
            "ERR_FORBIDDEN",
            "Profile editing is off: TrustAuthX's settings URL holds the organisation's API key and signed key (see profileEditing)",
          );
        }
        const session = await currentSession(c, deps);
        const back = `${originOf(c, deps)}/auth/profile/callback`;
        return safeRedirect(c, await client.generateEditUserUrl(session.access, back));
      } catch (err) {
        return failBrowser(c, deps.postProfilePath, err);
      }
    })
    .openapi(profileCallbackRoute, async (c) => {
      const { code, ac } = c.req.valid("query");
      const changed = ac?.toLowerCase() === "true";
      try {
        if (changed) {
          if (code === undefined) {
            throw new AuthLiteHonoError(400, "ERR_BAD_INPUT", "Missing parameter: code");
          }
          // Only for the user signed in here: a code of another account must
          // not switch this browser to that account (login CSRF).
          const session = await currentSession(c, deps);
          const fresh = await client.reAuth(code);
          if (fresh.uid !== session.user.uid) {
            await client.revokeToken({
              accessToken: fresh.accessToken,
              refreshToken: fresh.refreshToken,
            }).catch(() => false);
            throw new AuthLiteHonoError(
              403,
              "ERR_FORBIDDEN",
              "The profile code is for another account than the one signed in",
            );
          }
          const data = await client.getUserData(fresh.accessToken);
          cookies.set(
            c,
            fresh.accessToken,
            fresh.refreshToken,
            sessionOf({ ...fresh, name: data.name, img: data.img }),
          );
        }
      } catch (err) {
        return failBrowser(c, deps.postProfilePath, err);
      }
      const outcome = changed ? "updated" : "unchanged";
      return safeRedirect(c, withParam(deps.postProfilePath, "profile", outcome));
    });
}
