/**
 * What the route groups share: the client, the session routes' kit (the one
 * session resolver, the cookies, the login flow), the credential checks, and
 * the two guards (service and admin).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AuthLiteError } from "../errors.ts";
import type { AuthLiteClient } from "../client/mod.ts";
import {
  type AuthKit,
  authKit,
  grants,
  noSessionError,
  type Session,
  type SessionCookieOptions,
  sessionOn,
} from "../hono/_internal.ts";
import { bearerOf } from "../_bearer.ts";
import type { CredentialSet } from "./_credentials.ts";
import { AuthLiteHonoError } from "./errors.ts";

/** The resolved settings of one gateway. */
export interface GatewayDeps {
  /** The TrustAuthX client. */
  client: AuthLiteClient;
  /** The session routes' kit: the session resolver, the cookies, the login flow. */
  auth: AuthKit;
  /** The accepted service credentials. */
  services: CredentialSet;
  /** The accepted admin credentials. */
  admins: CredentialSet;
  /** The permission that makes a signed-in user an admin. */
  adminPermission: { key: string; value: string };
  /** Where the browser goes after a login. */
  postLoginPath: string;
  /** Where the browser goes after the profile page. */
  postProfilePath: string;
  /** The public origin of the gateway, when it differs from what requests show. */
  publicUrl: string | undefined;
  /** Whether the login callback requires the cookie set by `/auth/login`. */
  requireLoginStart: boolean;
  /** Whether `/auth/profile` may hand the settings URL (API key, signed key) to the browser. */
  profileEditing: boolean;
}

/**
 * The session routes' kit of a gateway: its `/auth/login`, `/auth/callback`,
 * `/auth/logout` and `/auth/me` are `authRoutes()` on it. The gateway's own
 * middleware rate-limits `/auth/*` (see `authRateLimit`), so the kit has none;
 * a browser whose callback failed is sent back to the gateway's page with
 * `?error=<code>`, which shows it in words (other failed navigations get the
 * small HTML page).
 *
 * @param options the client, the session secret, the cookies
 * @param settings the resolved paths and origin
 * @returns the kit
 */
export function gatewayAuth(
  options: {
    client: AuthLiteClient;
    sessionSecret: string;
    cookie?: SessionCookieOptions;
    ui?: unknown;
  },
  settings: { postLoginPath: string; publicUrl: string | undefined; requireLoginStart: boolean },
): AuthKit {
  const kit = authKit({
    client: options.client,
    sessionSecret: options.sessionSecret,
    ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
    postLoginPath: settings.postLoginPath,
    ...(settings.publicUrl === undefined ? {} : { publicUrl: settings.publicUrl }),
    requireLoginStart: settings.requireLoginStart,
    rateLimit: false,
    // With a page of its own (`ui`), a failed callback goes back to it with
    // `?error=<code>`; without one, the browser gets authRoutes()' HTML page.
    ...(options.ui === undefined ? {} : { callbackErrorPath: settings.postLoginPath }),
  });
  // The gateway's own middleware adds the session routes' headers.
  return { ...kit, replyHeaders: false };
}

/** A browser session that is signed in. */
export interface SignedIn {
  /** The access token to use from now on. */
  access: string;
  /** The signed-in user. */
  user: Session;
  /** Whether the tokens were rotated (and the cookies re-set). */
  refreshed: boolean;
  /** Why the user's roles are the last known ones (an outage), if they are. */
  staleBecause: AuthLiteError | null;
}

const UNAUTHORIZED_HEADERS = { "www-authenticate": 'Bearer realm="authlite"' };

/**
 * The request's browser session, through the one session resolver:
 * validated through the client (and its token cache), refreshed when the
 * access token has expired, with current roles (or, through an outage, the
 * last known ones for `staleRolesMaxSeconds`); the cookies are re-set when the
 * tokens rotate and cleared only when the upstream ends the session.
 *
 * @param c the context
 * @param deps the gateway
 * @returns the session
 * @throws {AuthLiteHonoError} 401 `ERR_UNAUTHORIZED` when there is no session
 *   cookie, `ERR_INVALID_TOKEN_SET` when the session is over; 503 with
 *   `Retry-After` when it cannot be decided now
 */
export async function currentSession(c: Context, deps: GatewayDeps): Promise<SignedIn> {
  const found = await sessionOn(deps.auth, c);
  if (found.session === null || found.accessToken === null) {
    throw noSessionError(found.error, false);
  }
  return {
    access: found.accessToken,
    user: found.session,
    refreshed: found.refreshed,
    staleBecause: found.stale ? found.error : null,
  };
}

/**
 * The service credential check: throws unless the request carries
 * `Authorization: Bearer <service key>` (compared in constant time).
 *
 * @param deps the gateway
 * @returns the check, to call first in a route's own middleware
 */
export function serviceCheck(deps: GatewayDeps): (c: Context) => void {
  return (c) => {
    const presented = bearerOf(c.req.header("authorization"));
    if (presented === undefined) {
      throw new AuthLiteHonoError(
        401,
        "ERR_UNAUTHORIZED",
        "Missing credential: send Authorization: Bearer <service key>",
        UNAUTHORIZED_HEADERS,
      );
    }
    if (!deps.services.matches(presented)) {
      throw new AuthLiteHonoError(
        401,
        "ERR_UNAUTHORIZED",
        "Invalid credential: the service key is not accepted",
        UNAUTHORIZED_HEADERS,
      );
    }
  };
}

/**
 * Middleware: the request must carry `Authorization: Bearer <service key>`.
 *
 * @param deps the gateway
 * @returns the middleware
 */
export function requireService(deps: GatewayDeps): MiddlewareHandler {
  const check = serviceCheck(deps);
  // Not async: one promise less (a throw is caught by Hono as well).
  return (c, next) => {
    check(c);
    return next();
  };
}

/**
 * Middleware: the request must carry `Authorization: Bearer <admin key>`, or
 * come from a signed-in user one of whose roles grants the admin permission.
 *
 * @param deps the gateway
 * @returns the middleware
 */
export function requireAdmin(deps: GatewayDeps): MiddlewareHandler {
  const { key, value } = deps.adminPermission;
  return async (c, next) => {
    const presented = bearerOf(c.req.header("authorization"));
    if (presented !== undefined) {
      if (!deps.admins.matches(presented)) {
        throw new AuthLiteHonoError(
          401,
          "ERR_UNAUTHORIZED",
          "Invalid credential: the admin key is not accepted",
          UNAUTHORIZED_HEADERS,
        );
      }
      return await next();
    }
    if (deps.auth.cookies.tokens(c).access === undefined) {
      throw new AuthLiteHonoError(
        401,
        "ERR_UNAUTHORIZED",
        "Missing credential: send Authorization: Bearer <admin key> or sign in",
        UNAUTHORIZED_HEADERS,
      );
    }
    // The user's current roles, not the profile cookie's: a demotion made
    // through any instance is honoured within the role marks' bound.
    const { user, staleBecause } = await currentSession(c, deps);
    // Roles kept through an outage serve the user's own pages, not role management.
    if (staleBecause !== null) throw AuthLiteHonoError.of(staleBecause);
    if (!(await grants(deps.client, user.roles, key, value))) {
      throw new AuthLiteHonoError(403, "ERR_FORBIDDEN", `Missing permission: ${key}`);
    }
    await next();
  };
}

/**
 * The public origin of the gateway: `publicUrl` when configured, else the
 * origin of the request.
 *
 * @param c the context
 * @param deps the gateway
 * @returns an origin (with any configured path prefix), no trailing slash
 */
export function originOf(c: Context, deps: GatewayDeps): string {
  return deps.publicUrl ?? new URL(c.req.url).origin;
}
