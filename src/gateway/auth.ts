/**
 * The browser session routes (backend for frontend): login, callback, me,
 * logout and the profile page. Tokens live in HttpOnly cookies only: never in
 * a JSON reply of these routes, never in a URL of ours.
 *
 * @module
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AuthLiteError } from "../errors.ts";
import { currentSession, type GatewayDeps, originOf } from "./_deps.ts";
import { bodyErrorReplies, errorReplies, jsonBody, jsonReply } from "./_routes.ts";
import {
  confirmLoginPage,
  isSameOriginPost,
  loginOrigin,
  safeRedirect,
  safeReturnPath,
} from "./_login.ts";
import { GatewayError, mapError, validationHook } from "./errors.ts";
import {
  CallbackQuery,
  LoginQuery,
  LogoutInput,
  LogoutSchema,
  MeSchema,
  ProfileCallbackQuery,
} from "./schemas.ts";

const redirect = (description: string) => ({
  description,
  headers: { location: { schema: { type: "string" as const } } },
});

const loginRoute = createRoute({
  method: "get",
  path: "/auth/login",
  tags: ["Session"],
  summary: "Start a login: redirects to the TrustAuthX login widget",
  description:
    "A login starts only from this site or a person's own navigation (`Sec-Fetch-Site: same-origin` or `none`). Started from another site, it answers a page (200, HTML) whose button submits `POST /auth/login` (a form with `redirect`) from this origin.",
  request: { query: LoginQuery },
  responses: { 302: redirect("To the login widget"), ...errorReplies },
});

const callbackRoute = createRoute({
  method: "get",
  path: "/auth/callback",
  tags: ["Session"],
  summary: "Where TrustAuthX sends the browser after a login: sets the session cookies",
  request: { query: CallbackQuery },
  responses: { 302: redirect("To the page after login"), ...errorReplies },
});

const meRoute = createRoute({
  method: "get",
  path: "/auth/me",
  tags: ["Session"],
  summary: "The signed-in user; refreshes the session when the access token has expired",
  security: [{ session: [] }],
  responses: { 200: jsonReply(MeSchema, "The user and the session state"), ...errorReplies },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/auth/logout",
  tags: ["Session"],
  summary: "Sign out: revokes the session (or every session) and clears the cookies",
  security: [{ session: [] }],
  request: { body: jsonBody(LogoutInput, false) },
  responses: { 200: jsonReply(LogoutSchema, "Signed out"), ...bodyErrorReplies },
});

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
  const { client, sessions } = deps;
  const routes = new OpenAPIHono({ defaultHook: validationHook })
    .openapi(loginRoute, (c) => {
      const { redirect } = c.req.valid("query");
      const returnTo = safeReturnPath(redirect ?? deps.postLoginPath);
      // Login CSRF: another site may send the browser here, but only a person
      // may go on (the page's button posts a same-origin form).
      if (loginOrigin(c, originOf(c, deps)) === "cross-site") return confirmLoginPage(c, returnTo);
      const url = client.generateUrl();
      deps.login.start(c, returnTo);
      return c.redirect(url, 302);
    })
    .openapi(callbackRoute, async (c) => {
      const { code } = c.req.valid("query");
      const returnTo = deps.login.finish(c);
      try {
        if (returnTo === undefined && deps.requireLoginStart) {
          throw new GatewayError(
            400,
            "ERR_BAD_INPUT",
            "No login in progress: start at /auth/login (cookies must be enabled)",
          );
        }
        const user = await client.getUser(code);
        sessions.set(c, user.accessToken, user.refreshToken, {
          uid: user.uid,
          email: user.email,
          name: user.name,
          img: user.img,
          roles: user.roles,
        });
      } catch (err) {
        return failBrowser(c, deps.postLoginPath, err);
      }
      return safeRedirect(c, returnTo ?? deps.postLoginPath);
    })
    .openapi(meRoute, async (c) => {
      const session = await currentSession(c, deps);
      return c.json({ user: session.profile, session: { refreshed: session.refreshed } }, 200);
    })
    .openapi(logoutRoute, async (c) => {
      const { all } = c.req.valid("json");
      const { access, refresh } = sessions.tokens(c);
      sessions.clear(c);
      if (access === undefined && refresh === undefined) {
        return c.json({ ok: true as const, revoked: false }, 200);
      }
      let revoked = false;
      try {
        revoked = await client.revokeToken({
          ...(access === undefined ? {} : { accessToken: access }),
          ...(refresh === undefined ? {} : { refreshToken: refresh }),
          revokeAllTokens: all ?? false,
        });
      } catch (err) {
        // The cookies are gone either way; an upstream that refuses tokens
        // that are already dead is not a reason to fail the logout.
        if (!(err instanceof AuthLiteError)) throw err;
      }
      return c.json({ ok: true as const, revoked }, 200);
    })
    .openapi(profileRoute, async (c) => {
      try {
        if (!deps.profileEditing) {
          throw new GatewayError(
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
            throw new GatewayError(400, "ERR_BAD_INPUT", "Missing parameter: code");
          }
          // Only for the user signed in here: a code of another account must
          // not switch this browser to that account (login CSRF).
          const session = await currentSession(c, deps);
          const fresh = await client.reAuth(code);
          if (fresh.uid !== session.profile.uid) {
            await client.revokeToken({
              accessToken: fresh.accessToken,
              refreshToken: fresh.refreshToken,
            }).catch(() => false);
            throw new GatewayError(
              403,
              "ERR_FORBIDDEN",
              "The profile code is for another account than the one signed in",
            );
          }
          const data = await client.getUserData(fresh.accessToken);
          sessions.set(c, fresh.accessToken, fresh.refreshToken, {
            uid: fresh.uid,
            email: fresh.email,
            name: data.name,
            img: data.img,
            roles: fresh.roles,
          });
        }
      } catch (err) {
        return failBrowser(c, deps.postProfilePath, err);
      }
      const outcome = changed ? "updated" : "unchanged";
      return safeRedirect(c, withParam(deps.postProfilePath, "profile", outcome));
    });
  // The confirmation page's form. Kept out of the typed schema (it is for
  // browsers only, and takes a form where every other route takes JSON).
  routes.post("/auth/login", async (c) => {
    if (!isSameOriginPost(c, originOf(c, deps))) {
      throw new GatewayError(
        403,
        "ERR_FORBIDDEN",
        "Cross-site login refused: start the login from this site",
      );
    }
    const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/x-www-form-urlencoded") {
      throw new GatewayError(
        415,
        "ERR_UNSUPPORTED_MEDIA_TYPE",
        "Unsupported media type: send a form",
      );
    }
    const form = new URLSearchParams(await c.req.text());
    deps.login.start(c, safeReturnPath(form.get("redirect") ?? deps.postLoginPath));
    return c.redirect(client.generateUrl(), 303);
  });
  return routes;
}
