/**
 * What the route groups share: the client, the session cookies, the
 * credential checks, and the two guards (service and admin).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AuthLiteClient } from "../client/mod.ts";
import { type AuthLiteEnv, getAuthLite, requirePermission, requireSession } from "../hono/mod.ts";
import { bearerOf, type CredentialSet } from "./_credentials.ts";
import type { LoginFlow } from "./_login.ts";
import type { Profile, Sessions } from "./_session.ts";
import { GatewayError } from "./errors.ts";

/** The resolved settings of one gateway. */
export interface GatewayDeps {
  /** The TrustAuthX client. */
  client: AuthLiteClient;
  /** The session cookies. */
  sessions: Sessions;
  /** The session middleware (`authlite()` on the session cookies): one implementation of a session. */
  session: MiddlewareHandler<AuthLiteEnv>;
  /** The login cookie (a nonce the callback consumes once). */
  login: LoginFlow;
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

/** A validated browser session. */
export interface Session {
  /** The access token to use from now on. */
  access: string;
  /** The signed-in user. */
  profile: Profile;
  /** Whether the tokens were rotated (and the cookies re-set). */
  refreshed: boolean;
}

const UNAUTHORIZED_HEADERS = { "www-authenticate": 'Bearer realm="authlite"' };

/**
 * The request's browser session, through the session middleware (the one of
 * `src/hono/`): validated through the client (and its token cache), refreshed
 * when the access token has expired, with current roles; the cookies are
 * re-set when the tokens rotate and cleared when the session is over.
 *
 * @param c the context
 * @param deps the gateway
 * @returns the session
 * @throws {AuthLiteHonoError} 401 `ERR_UNAUTHORIZED` when there is no session
 *   cookie, `ERR_INVALID_TOKEN_SET` when the session is over; 502 on an outage
 */
export async function currentSession(c: Context, deps: GatewayDeps): Promise<Session> {
  await deps.session(c as Context<AuthLiteEnv>, noop);
  await sessionRequired(c as Context<AuthLiteEnv>, noop);
  const state = getAuthLite(c);
  if (state?.session == null || state.accessToken === null) {
    throw new GatewayError(401, "ERR_UNAUTHORIZED", "Not signed in: log in first");
  }
  return { access: state.accessToken, profile: state.session, refreshed: state.refreshed };
}

const noop = (): Promise<void> => Promise.resolve();
const sessionRequired = requireSession();

/**
 * Middleware: the request must carry `Authorization: Bearer <service key>`.
 *
 * @param deps the gateway
 * @returns the middleware
 */
export function requireService(deps: GatewayDeps): MiddlewareHandler {
  return async (c, next) => {
    const presented = bearerOf(c.req.header("authorization"));
    if (presented === undefined) {
      throw new GatewayError(
        401,
        "ERR_UNAUTHORIZED",
        "Missing credential: send Authorization: Bearer <service key>",
        UNAUTHORIZED_HEADERS,
      );
    }
    if (!deps.services.matches(presented)) {
      throw new GatewayError(
        401,
        "ERR_UNAUTHORIZED",
        "Invalid credential: the service key is not accepted",
        UNAUTHORIZED_HEADERS,
      );
    }
    await next();
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
  const permitted = requirePermission(key, value);
  return async (c, next) => {
    const presented = bearerOf(c.req.header("authorization"));
    if (presented !== undefined) {
      if (!deps.admins.matches(presented)) {
        throw new GatewayError(
          401,
          "ERR_UNAUTHORIZED",
          "Invalid credential: the admin key is not accepted",
          UNAUTHORIZED_HEADERS,
        );
      }
      return await next();
    }
    if (deps.sessions.tokens(c).access === undefined) {
      throw new GatewayError(
        401,
        "ERR_UNAUTHORIZED",
        "Missing credential: send Authorization: Bearer <admin key> or sign in",
        UNAUTHORIZED_HEADERS,
      );
    }
    // The user's current roles, not the profile cookie's: a demotion made
    // through any instance is honoured within the role marks' bound.
    await currentSession(c, deps);
    await permitted(c as Context<AuthLiteEnv>, noop);
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
