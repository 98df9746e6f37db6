/**
 * `authRoutes()`: the browser session routes, `/login`, `/callback`,
 * `/logout` and `/me`, mountable under any prefix of a Hono app, or served
 * alone through `.fetch`. The gateway mounts them at `/auth`: one
 * implementation. Tokens live in HttpOnly cookies only, never in a reply body
 * or a URL of ours.
 *
 * Their security: Fetch Metadata (a login started by another site needs a
 * person's click; a logout needs a same-origin signal), the single-use login
 * nonce bound to the browser, strict return paths, HttpOnly/Secure/SameSite
 * cookies, a rate limit per client. Browser navigations that fail get a small
 * HTML page; fetch clients get the JSON error body.
 *
 * @module
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { AuthLiteError, AuthLiteInputError } from "../errors.ts";
import type { AuthLiteClient } from "../client/mod.ts";
import {
  reportedError,
  type SessionCookieOptions,
  sessionOf,
  SessionResolver,
} from "../web/_internal.ts";
import {
  isSafeHeaderValue,
  isSameOriginLogout,
  isSameOriginPost,
  LoginFlow,
  loginOrigin,
  mediaType,
  safeRedirect,
  safeReturnPath,
} from "./_login.ts";
import { confirmLoginPage, errorPage, isNavigation } from "./_pages.ts";
import { rateLimiter, type RateLimitSettings } from "./_rate_limit.ts";
import type { AuthRoutesSchema } from "./_schema.ts";
import { routesGuard } from "./_guard.ts";
import { meBody, meHit, sessionOn } from "./_me.ts";
import { SessionCookies } from "./cookies.ts";
import { AuthLiteHonoError, type ErrorIssue } from "./errors.ts";
import { noSessionError } from "./middleware.ts";

/** Options of {@linkcode authRoutes}. */
export interface AuthRoutesOptions {
  /** The TrustAuthX client (give it a `tokenCache` so that a good session costs no upstream call). */
  client: AuthLiteClient;
  /**
   * Signs the profile cookie and the login cookie: at least 32 characters,
   * the same on every instance (and in `authlite()` and `sessionFromRequest()`).
   */
  sessionSecret: string;
  /** The session cookies (`secure` defaults to `true`). */
  cookie?: SessionCookieOptions;
  /** Where the browser goes after a login when it asked for no page (default `/`). */
  postLoginPath?: string;
  /** The public origin of the site, e.g. behind a proxy (default: the request's origin). */
  publicUrl?: string;
  /** Whether the callback requires a login started at `<prefix>/login` in this browser (default `true`). */
  requireLoginStart?: boolean;
  /**
   * The rate limit of the routes: settings of the built-in one (default 300
   * requests a minute per client address), your own middleware, or `false`
   * (none: when something in front of the routes limits them already).
   */
  rateLimit?: false | RateLimitSettings | MiddlewareHandler;
  /**
   * Send a browser whose callback failed (a used or expired code, a login
   * not started here) to this page of yours, with `?error=<code>`, for it to
   * say so in words; default: the small HTML page with a link to sign in again.
   */
  callbackErrorPath?: string;
  /** See `staleRolesMaxSeconds` of `authlite()` (default 300). */
  staleRolesMaxSeconds?: number;
  /** The clock in ms that the client's `now` uses (default `Date.now`). */
  now?: () => number;
}

/** Everything the routes share; the gateway builds its routes and guards on it. */
export interface AuthKit {
  /** The client. */
  client: AuthLiteClient;
  /** The session resolver (cookies only). */
  resolver: SessionResolver;
  /** The session cookies on a context. */
  cookies: SessionCookies;
  /** The login cookie. */
  login: LoginFlow;
  /** Where the browser goes after a login. */
  postLoginPath: string;
  /** The configured public origin, if any. */
  publicUrl: string | undefined;
  /** Whether the callback requires a login started here. */
  requireLoginStart: boolean;
  /** The rate limit, if any. */
  limiter: MiddlewareHandler | undefined;
  /** Where a browser whose callback failed goes, if not to the page. */
  callbackErrorPath: string | undefined;
  /**
   * Whether the routes add `Cache-Control: no-store` and `nosniff` to their
   * replies themselves (`false` in the gateway, which adds them to every
   * session route already).
   */
  replyHeaders: boolean;
}

/**
 * Check the options and build what the routes share.
 *
 * @param options the options of {@linkcode authRoutes}
 * @returns the kit
 * @throws {AuthLiteInputError} `ERR_CONFIG` when an option is missing or invalid
 */
export function authKit(options: AuthRoutesOptions): AuthKit {
  if (typeof options !== "object" || options === null || typeof options.client !== "object") {
    throw new AuthLiteInputError("ERR_CONFIG", "Missing option: client");
  }
  if (typeof options.sessionSecret !== "string" || options.sessionSecret.length < 32) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      "Invalid option: sessionSecret must be at least 32 characters",
    );
  }
  let publicUrl: string | undefined;
  if (options.publicUrl !== undefined) {
    try {
      publicUrl = new URL(options.publicUrl).href.replace(/\/+$/, "");
    } catch {
      throw new AuthLiteInputError("ERR_CONFIG", "Invalid option: publicUrl must be a URL");
    }
  }
  const resolver = new SessionResolver({
    client: options.client,
    sessionSecret: options.sessionSecret,
    ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
    ...(options.staleRolesMaxSeconds === undefined
      ? {}
      : { staleRolesMaxSeconds: options.staleRolesMaxSeconds }),
    ...(options.now === undefined ? {} : { now: options.now }),
    bearer: false,
  });
  const { maxAge: _maxAge, ...attributes } = resolver.cookies.attributes;
  const limit = options.rateLimit;
  return {
    client: options.client,
    resolver,
    cookies: new SessionCookies(resolver.cookies),
    login: new LoginFlow({
      secret: options.sessionSecret,
      prefix: resolver.cookies.prefix,
      attributes: { ...attributes, sameSite: "Lax" },
    }),
    postLoginPath: safeReturnPath(options.postLoginPath ?? "/"),
    publicUrl,
    requireLoginStart: options.requireLoginStart ?? true,
    limiter: limit === false
      ? undefined
      : typeof limit === "function"
      ? limit
      : rateLimiter(limit ?? {}),
    callbackErrorPath: options.callbackErrorPath === undefined
      ? undefined
      : safeReturnPath(options.callbackErrorPath),
    replyHeaders: true,
  };
}

/**
 * The HTTP error of anything a route threw: the one class as it is, a
 * client error by its code; anything else (a bug) is thrown again.
 *
 * @param err what was thrown
 * @returns the HTTP error
 */
export function httpErrorOf(err: unknown): AuthLiteHonoError {
  if (err instanceof AuthLiteHonoError) return err;
  if (err instanceof AuthLiteError) return AuthLiteHonoError.of(reportedError(err));
  throw err;
}

type Step = "login" | "callback" | "logout";

const STEP_PATHS: Record<Step, string> = {
  login: "/login",
  callback: "/callback",
  logout: "/logout",
};

/** The prefix the routes are mounted under, read from the request's path. */
function prefixOf(c: Context, step: Step): string {
  const path = c.req.path;
  const suffix = STEP_PATHS[step];
  return path.endsWith(suffix) ? path.slice(0, -suffix.length) : "";
}

/** The login route's path under the request's prefix. */
function loginPathOf(c: Context, step: Step): string {
  const path = `${prefixOf(c, step)}/login`;
  return isSafeHeaderValue(path) ? path : "/";
}

function withParam(path: string, name: string, value: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}${name}=${encodeURIComponent(value)}`;
}

/**
 * A failure of a step: a navigation gets the page (or, at the callback, the
 * `callbackErrorPath`), a fetch client the JSON error.
 */
function fail(kit: AuthKit, c: Context, step: Step, err: unknown): Response {
  const failure = httpErrorOf(err);
  if (!isNavigation(c)) throw failure;
  if (step === "callback" && kit.callbackErrorPath !== undefined) {
    return safeRedirect(c, withParam(kit.callbackErrorPath, "error", failure.code));
  }
  for (const [name, value] of Object.entries(failure.headers)) c.header(name, value);
  return errorPage(c, failure, step, loginPathOf(c, step));
}

/** A 400 whose body lists the issues of the request. */
function invalid(message: string, issues: ErrorIssue[]): AuthLiteHonoError {
  return new AuthLiteHonoError(400, "ERR_BAD_INPUT", message, {}, undefined, issues);
}

/** A 400 for a query parameter that is missing or out of bounds. */
function badQuery(name: string, message: string, code: string): AuthLiteHonoError {
  return invalid(`Invalid request: query.${name}: ${message}`, [
    { path: ["query", name], message, code },
  ]);
}

/** The origin the same-origin checks compare with. */
function originOf(kit: AuthKit, c: Context): string {
  return kit.publicUrl ?? new URL(c.req.url).origin;
}

/**
 * The `all` flag of a logout's JSON body (an empty body is `{}`).
 *
 * @throws {AuthLiteHonoError} 400 for malformed JSON or a wrong type
 */
async function logoutInput(c: Context): Promise<boolean> {
  const text = await c.req.text();
  if (text.trim() === "") return false;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AuthLiteHonoError(400, "ERR_BAD_INPUT", "Malformed JSON in request body");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    const message = "Invalid input: expected object";
    throw invalid(`Invalid request: ${message}`, [
      { path: ["json"], message, code: "invalid_type" },
    ]);
  }
  const all = (body as Record<string, unknown>)["all"];
  if (all !== undefined && typeof all !== "boolean") {
    const message = `Invalid input: expected boolean, received ${
      all === null ? "null" : typeof all
    }`;
    throw invalid(`Invalid request: json.all: ${message}`, [
      { path: ["json", "all"], message, code: "invalid_type" },
    ]);
  }
  return all ?? false;
}

/**
 * The routes of a kit (see {@linkcode authRoutes}).
 *
 * @param kit the kit
 * @returns the routes
 */
export function routesOf(kit: AuthKit): Hono<Record<never, never>, AuthRoutesSchema, "/"> {
  const { client, cookies, login } = kit;
  const app = new Hono();
  const guard = routesGuard(kit.limiter, kit.replyHeaders, (c, err) => {
    const step = (["login", "callback", "logout"] as const).find((s) =>
      c.req.path.endsWith(STEP_PATHS[s])
    );
    return step === undefined ? undefined : fail(kit, c, step, err);
  });
  if (guard !== undefined) app.use("*", guard);

  app.get("/login", (c) => {
    try {
      const redirect = c.req.query("redirect");
      if (redirect !== undefined && redirect.length > 2048) {
        throw badQuery("redirect", "Too big: expected string to have <=2048 characters", "too_big");
      }
      const returnTo = safeReturnPath(redirect ?? kit.postLoginPath);
      // Login CSRF: another site may send the browser here, but only a person
      // may go on (the page's button posts a same-origin form).
      if (loginOrigin(c, originOf(kit, c)) === "cross-site") {
        return confirmLoginPage(c, returnTo, c.req.path);
      }
      const url = client.generateUrl();
      login.start(c, returnTo);
      return c.redirect(url, 302);
    } catch (err) {
      return fail(kit, c, "login", err);
    }
  });

  // The confirmation page's form (browsers only: a form, where the rest takes JSON).
  app.post("/login", async (c) => {
    try {
      if (!isSameOriginPost(c, originOf(kit, c))) {
        throw new AuthLiteHonoError(
          403,
          "ERR_FORBIDDEN",
          "Cross-site login refused: start the login from this site",
        );
      }
      if (mediaType(c.req.header("content-type")) !== "application/x-www-form-urlencoded") {
        throw new AuthLiteHonoError(
          415,
          "ERR_UNSUPPORTED_MEDIA_TYPE",
          "Unsupported media type: send a form",
        );
      }
      const form = new URLSearchParams(await c.req.text());
      login.start(c, safeReturnPath(form.get("redirect") ?? kit.postLoginPath));
      return c.redirect(client.generateUrl(), 303);
    } catch (err) {
      return fail(kit, c, "login", err);
    }
  });

  app.get("/callback", async (c) => {
    let code: string;
    let returnTo: string | undefined;
    try {
      const given = c.req.query("code");
      if (given === undefined) {
        throw badQuery(
          "code",
          "Invalid input: expected string, received undefined",
          "invalid_type",
        );
      }
      if (given.length < 1 || given.length > 8192) {
        throw badQuery("code", "Expected a string of 1 to 8192 characters", "too_big");
      }
      code = given;
      returnTo = login.finish(c);
      if (returnTo === undefined && kit.requireLoginStart) {
        throw new AuthLiteHonoError(
          400,
          "ERR_BAD_INPUT",
          `No login in progress: start at ${loginPathOf(c, "callback")} (cookies must be enabled)`,
        );
      }
      const user = await client.getUser(code);
      cookies.set(c, user.accessToken, user.refreshToken, sessionOf(user));
    } catch (err) {
      return fail(kit, c, "callback", err);
    }
    return safeRedirect(c, returnTo ?? kit.postLoginPath);
  });

  app.get("/me", async (c) => {
    const found = await sessionOn(kit, c);
    if (found.session === null) throw noSessionError(found.error, false);
    // In the gateway, with no cookie to set, nothing has set headers on the
    // context: the reply is built with the ones the gateway adds.
    return meHit(kit, found) ?? c.json(meBody(found.session, found.refreshed), 200);
  });

  app.post("/logout", async (c) => {
    let all: boolean;
    try {
      const type = mediaType(c.req.header("content-type"));
      if (type !== "" && type !== "application/json") {
        throw new AuthLiteHonoError(
          415,
          "ERR_UNSUPPORTED_MEDIA_TYPE",
          "Unsupported media type: send application/json",
        );
      }
      // Logout CSRF: any page may send a body-less POST here.
      if (!isSameOriginLogout(c, originOf(kit, c))) {
        throw new AuthLiteHonoError(
          403,
          "ERR_FORBIDDEN",
          "Cross-site logout refused: sign out from this site",
        );
      }
      all = await logoutInput(c);
    } catch (err) {
      return fail(kit, c, "logout", err);
    }
    const { access, refresh } = cookies.tokens(c);
    cookies.clear(c);
    if (access === undefined && refresh === undefined) {
      return c.json({ ok: true as const, revoked: false }, 200);
    }
    let revoked = false;
    try {
      revoked = await client.revokeToken({
        ...(access === undefined ? {} : { accessToken: access }),
        ...(refresh === undefined ? {} : { refreshToken: refresh }),
        revokeAllTokens: all,
      });
    } catch (err) {
      // The cookies are gone either way; an upstream that refuses tokens
      // that are already dead is not a reason to fail the logout.
      if (!(err instanceof AuthLiteError)) throw err;
    }
    return c.json({ ok: true as const, revoked }, 200);
  });

  return app as unknown as Hono<Record<never, never>, AuthRoutesSchema, "/">;
}

/**
 * The browser session routes for your own Hono app: `GET /login` (to the
 * TrustAuthX login widget), `GET /callback` (sets the session cookies),
 * `GET /me` (the user; refreshes the session) and `POST /logout` (revokes the
 * session, clears the cookies). Mount them under any prefix
 * (`app.route("/auth", authRoutes(...))`: then set your organisation's
 * callback URL at TrustAuthX to `https://<your site>/auth/callback`), next to
 * `authlite()`, `requireSession()` and `requirePermission()`, or serve them
 * alone: `authRoutes(...).fetch` is a fetch handler (at `/login`, ...).
 *
 * Security as the gateway's (it mounts these same routes): a login started by
 * another site needs a person's click (Fetch Metadata); the login cookie's
 * nonce is single use and bound to this browser; return paths stay on this
 * site; the cookies are HttpOnly, Secure (unless turned off) and SameSite=Lax;
 * a logout needs a same-origin signal; a rate limit per client address
 * (`rateLimit`). A failed browser navigation gets a small HTML page with a
 * link to sign in again; fetch clients get `{error: {code, message}}`.
 *
 * @param options the client, the session secret and the settings
 * @returns the routes: mount them with `app.route(prefix, ...)`, or serve `.fetch`
 * @throws {AuthLiteInputError} `ERR_CONFIG` when an option is missing or invalid
 * @example Mount them under /auth
 * ```ts
 * import { Hono } from "hono";
 * import { AuthLiteClient } from "@authlite/authlite";
 * import { authlite, authRoutes, requireSession } from "@authlite/authlite/hono";
 * const client = new AuthLiteClient({ apiKey: "key", secretKey: "secret", orgId: "org" });
 * const sessionSecret = "a long random string of 32+ characters";
 * const app = new Hono()
 *   .route("/auth", authRoutes({ client, sessionSecret }))
 *   .use(authlite({ client, sessionSecret }))
 *   .get("/account", requireSession(), (c) => c.json(c.var.session));
 * console.assert((await app.request("/auth/me")).status === 401);
 * ```
 */
export function authRoutes(
  options: AuthRoutesOptions,
): Hono<Record<never, never>, AuthRoutesSchema, "/"> {
  return routesOf(authKit(options));
}
