/**
 * What the route groups share: the client, the session cookies, the
 * credential checks, and the two guards (service and admin).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { AuthLiteError } from "../errors.ts";
import type { AuthLiteClient } from "../client/mod.ts";
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
  /** The refresh token to use from now on, if any. */
  refresh: string | null;
  /** The signed-in user. */
  profile: Profile;
  /** Whether the tokens were rotated (and the cookies re-set). */
  refreshed: boolean;
}

const UNAUTHORIZED_HEADERS = { "www-authenticate": 'Bearer realm="authlite"' };

function rolesOfClaims(claims: Readonly<Record<string, unknown>>): string[] {
  const scope = claims["scope"];
  let list: unknown = scope;
  if (typeof scope === "string") {
    try {
      list = JSON.parse(scope);
    } catch {
      return [];
    }
  }
  return Array.isArray(list) ? list.filter((r): r is string => typeof r === "string") : [];
}

/**
 * The request's browser session, validated through the client (and its token
 * cache), refreshed when the access token has expired; the cookies are re-set
 * when the tokens rotate and cleared when the session is over.
 *
 * @param c the context
 * @param deps the gateway
 * @returns the session
 * @throws {GatewayError} 401 when there is no session cookie
 * @throws {AuthLiteError} `ERR_INVALID_TOKEN_SET` when the session is over
 */
export async function currentSession(c: Context, deps: GatewayDeps): Promise<Session> {
  const { access, refresh } = deps.sessions.tokens(c);
  if (access === undefined) {
    throw new GatewayError(401, "ERR_UNAUTHORIZED", "Not signed in: log in first");
  }
  let check;
  try {
    check = await deps.client.validateTokenSet(access, refresh);
  } catch (err) {
    if (err instanceof AuthLiteError && err.code === "ERR_INVALID_TOKEN_SET") {
      deps.sessions.clear(c);
    }
    throw err;
  }
  const refreshed = !check.state;
  // After a refresh the profile (roles included) is read again from upstream:
  // roles granted or taken away take effect by the next refresh at the latest.
  let profile = refreshed ? undefined : deps.sessions.profile(c, access);
  const rebuilt = profile === undefined;
  if (profile === undefined) {
    const data = await deps.client.getUserData(check.access);
    profile = {
      uid: data.uid,
      email: data.email,
      name: data.name,
      img: data.img,
      roles: rolesOfClaims(data.claims),
    };
  }
  if (refreshed || rebuilt) deps.sessions.set(c, check.access, check.refresh, profile);
  return { access: check.access, refresh: check.refresh, profile, refreshed };
}

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
    const session = await currentSession(c, deps);
    const { key, value } = deps.adminPermission;
    for (const role of session.profile.roles) {
      if (await deps.client.roles.validate(role, key, value)) return await next();
    }
    throw new GatewayError(403, "ERR_FORBIDDEN", `Missing permission: ${key}`);
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
