/**
 * Middleware for Hono apps: `authlite()` reads the session (the session
 * cookies, or `Authorization: Bearer <access token>`) through the one session
 * resolver, and puts the signed-in user on `c.var.session`;
 * `requireSession()` and `requirePermission()` guard routes.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { type AuthLiteError, AuthLiteInputError } from "../errors.ts";
import type { AuthLiteClient } from "../client/mod.ts";
import {
  reportedError,
  type Session,
  type SessionOptions,
  SessionResolver,
  type SessionResult,
  type SessionSource,
} from "../web/_internal.ts";
import { appendCookies, requestCookies } from "./cookies.ts";
import { AuthLiteHonoError } from "./errors.ts";

/** Options of {@linkcode authlite}: those of the session resolver. */
export type AuthLiteOptions = SessionOptions;

/** What `authlite()` found, on `c.var.authlite`. */
export interface AuthLiteState {
  /** The signed-in user, or `null`. */
  readonly session: Session | null;
  /** Where the credentials came from (`null`: none presented). */
  readonly source: SessionSource | null;
  /** The access token to use from now on (after a refresh, the new one), or `null`. */
  readonly accessToken: string | null;
  /** Whether the session was refreshed by this request (and the cookies re-set). */
  readonly refreshed: boolean;
  /**
   * Whether the user's roles are the last known ones, kept through an outage
   * for at most `staleRolesMaxSeconds` (then `error` says what failed).
   */
  readonly stale: boolean;
  /**
   * Why credentials that were presented make no session (e.g.
   * `ERR_INVALID_TOKEN_SET`; `ERR_UNAVAILABLE` when it could not be decided
   * now), or why the roles are stale. A route that does not require a
   * session runs anyway, anonymous (or stale), with this to read.
   */
  readonly error: AuthLiteError | null;
  /** The client that validated the session. */
  readonly client: AuthLiteClient;
}

/** The variables `authlite()` sets on the context. */
export interface AuthLiteVariables {
  /** The signed-in user, or `null`. */
  session: Session | null;
  /** The whole state of the session. */
  authlite: AuthLiteState;
}

/** The Hono `Env` of an app using `authlite()`: `c.var.session` is typed. */
export interface AuthLiteEnv {
  /** The variables `authlite()` sets. */
  Variables: AuthLiteVariables;
}

const UNAUTHORIZED_HEADERS = { "www-authenticate": 'Bearer realm="authlite"' };

/** The state of one request; knows whether its middleware takes Bearer tokens. */
class State implements AuthLiteState {
  readonly session: Session | null;
  readonly source: SessionSource | null;
  readonly accessToken: string | null;
  readonly refreshed: boolean;
  readonly stale: boolean;
  readonly error: AuthLiteError | null;
  readonly client: AuthLiteClient;
  readonly #bearer: boolean;

  constructor(found: SessionResult, client: AuthLiteClient, bearer: boolean) {
    this.session = found.session;
    this.source = found.source;
    this.accessToken = found.accessToken;
    this.refreshed = found.refreshed;
    this.stale = found.stale;
    this.error = found.error;
    this.client = client;
    this.#bearer = bearer;
  }

  /** Whether the middleware that made `state` takes Bearer tokens. */
  static bearer(state: AuthLiteState): boolean {
    return #bearer in state ? state.#bearer : false;
  }
}

/**
 * Middleware: reads the request's session, from `Authorization: Bearer
 * <access token>` or from the session cookies, validates it through the
 * client (and its token cache), refreshes an expired access token and re-sets
 * the cookies, and puts the user on `c.var.session` (`null` when there is
 * none). The cookies are cleared only when the upstream says the session is
 * over. The user's roles are current: read again from upstream when older
 * than the client's `roleCacheTtlSeconds` or older than a change of them made
 * through any instance sharing the client's store; through an outage, the
 * last known ones serve for `staleRolesMaxSeconds`.
 *
 * The route always runs: when the session cannot be read (an outage), it runs
 * anonymous (or with the stale session), and `getAuthLite(c).error` says why;
 * `requireSession()` then answers 503 with `Retry-After`.
 *
 * @param options the client, the session secret and what to read
 * @returns the middleware
 * @throws {AuthLiteInputError} `ERR_CONFIG` when the client is missing or the
 *   secret is shorter than 32 characters
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { AuthLiteClient } from "@authlite/authlite";
 * import { authlite, getSession } from "@authlite/authlite/hono";
 * const client = new AuthLiteClient({ apiKey: "key", secretKey: "secret", orgId: "org" });
 * const app = new Hono()
 *   .use(authlite({ client, sessionSecret: "the gateway's session secret, 32+ chars" }))
 *   .get("/", (c) => c.text(`Hello ${getSession(c)?.email ?? "stranger"}`));
 * const res = await app.request("/");
 * console.assert((await res.text()) === "Hello stranger");
 * ```
 */
export function authlite(options: AuthLiteOptions): MiddlewareHandler<AuthLiteEnv> {
  const resolver = new SessionResolver(options);
  return async (c, next) => {
    const found = await resolver.resolve(c.req.header("authorization"), requestCookies(c));
    appendCookies(c, found.setCookie);
    const state = new State(found, resolver.client, resolver.bearer);
    c.set("authlite", state);
    c.set("session", state.session);
    await next();
  };
}

function stateOf(c: Context, caller: string): AuthLiteState {
  const state = (c as Context<AuthLiteEnv>).get("authlite");
  if (state === undefined) {
    throw new AuthLiteHonoError(
      500,
      "ERR_CONFIG",
      `Missing middleware: use authlite() before ${caller}`,
    );
  }
  return state;
}

/**
 * The signed-in user of the request, as `authlite()` found it.
 *
 * @param c the context
 * @returns the user `{uid, email, name, img, roles}`, or `null` when not signed
 *   in (or when `authlite()` did not run)
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { getSession } from "@authlite/authlite/hono";
 * const app = new Hono().get("/", (c) => c.json({ signedIn: getSession(c) !== null }));
 * console.assert((await (await app.request("/")).json()).signedIn === false);
 * ```
 */
export function getSession(c: Context): Session | null {
  return getAuthLite(c)?.session ?? null;
}

/**
 * The whole state `authlite()` found: the user, where the credentials came
 * from, the access token to use, whether the session was refreshed, whether
 * its roles are stale, and the error that kept a session from being read.
 *
 * @param c the context
 * @returns the state, or `null` when `authlite()` did not run
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { getAuthLite } from "@authlite/authlite/hono";
 * const app = new Hono().get("/", (c) => c.json({ ran: getAuthLite(c) !== null }));
 * console.assert((await (await app.request("/")).json()).ran === false);
 * ```
 */
export function getAuthLite(c: Context): AuthLiteState | null {
  return (c as Context<AuthLiteEnv>).get("authlite") ?? null;
}

/**
 * The error of a request that has no session: 401 without credentials or
 * with ones the upstream refused, 503 (`Retry-After`) when it could not be
 * decided now.
 *
 * @param error why no session was found, if anything
 * @param bearer whether to challenge with `WWW-Authenticate: Bearer`
 * @returns the exception
 */
export function noSessionError(error: AuthLiteError | null, bearer: boolean): AuthLiteHonoError {
  const challenge = bearer ? UNAUTHORIZED_HEADERS : {};
  if (error === null) {
    return new AuthLiteHonoError(401, "ERR_UNAUTHORIZED", "Not signed in: log in first", challenge);
  }
  if (error.code === "ERR_BAD_INPUT") {
    // A malformed token (empty, too long): no session, not a bad request of the caller's.
    return new AuthLiteHonoError(
      401,
      "ERR_UNAUTHORIZED",
      "Not signed in: the session's token is malformed",
      challenge,
    );
  }
  const err = AuthLiteHonoError.of(error);
  return err.status === 401 ? AuthLiteHonoError.of(error, challenge) : err;
}

/**
 * Middleware: answers 401 (`{error: {code, message}}`) unless the request has
 * a session, or 503 with `Retry-After` when the session could not be read
 * (an outage). A session with stale roles (see `staleRolesMaxSeconds`) is a
 * session. Use it after `authlite()`.
 *
 * @returns the middleware
 * @throws {AuthLiteHonoError} from the middleware: 401 `ERR_UNAUTHORIZED`
 *   without credentials, `ERR_INVALID_TOKEN_SET` when the session is over; 503
 *   `ERR_UNAVAILABLE`; 500 `ERR_CONFIG` when `authlite()` did not run before
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { AuthLiteClient } from "@authlite/authlite";
 * import { authlite, requireSession } from "@authlite/authlite/hono";
 * const client = new AuthLiteClient({ apiKey: "key", secretKey: "secret", orgId: "org" });
 * const app = new Hono()
 *   .use(authlite({ client }))
 *   .get("/me", requireSession(), (c) => c.json(c.var.session));
 * console.assert((await app.request("/me")).status === 401);
 * ```
 */
export function requireSession(): MiddlewareHandler<AuthLiteEnv> {
  return async (c, next) => {
    const state = stateOf(c, "requireSession()");
    if (state.session === null) throw noSessionError(state.error, State.bearer(state));
    await next();
  };
}

/**
 * Whether one of `roles` grants permission `key` with `value`, through the
 * client's role cache.
 *
 * @param client the client
 * @param roles the user's role ids
 * @param key the permission key
 * @param value the value it must have
 * @returns whether it is granted
 * @throws {AuthLiteHonoError} 503 (`Retry-After`) or 502 when the roles cannot be loaded
 */
export async function grants(
  client: AuthLiteClient,
  roles: readonly string[],
  key: string,
  value: string,
): Promise<boolean> {
  for (const role of roles) {
    let granted: boolean;
    try {
      granted = await client.roles.validate(role, key, value);
    } catch (err) {
      throw AuthLiteHonoError.of(reportedError(err));
    }
    if (granted) return true;
  }
  return false;
}

/**
 * Middleware: answers 401 without a session and 403 (`ERR_FORBIDDEN`) unless
 * one of the user's current roles grants permission `key` with `value`,
 * checked through the client's role cache. Use it after `authlite()`.
 *
 * @param key the permission key
 * @param value the value it must have
 * @returns the middleware
 * @throws {AuthLiteInputError} `ERR_CONFIG` when `key` or `value` is not a
 *   non-empty string
 * @throws {AuthLiteHonoError} from the middleware: 401, 403, or 503 when the
 *   session or the roles cannot be loaded now
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { AuthLiteClient } from "@authlite/authlite";
 * import { authlite, requirePermission } from "@authlite/authlite/hono";
 * const client = new AuthLiteClient({ apiKey: "key", secretKey: "secret", orgId: "org" });
 * const app = new Hono()
 *   .use(authlite({ client }))
 *   .post("/invoices", requirePermission("invoices", "write"), (c) => c.text("Created"));
 * console.assert((await app.request("/invoices", { method: "POST" })).status === 401);
 * ```
 */
export function requirePermission(key: string, value: string): MiddlewareHandler<AuthLiteEnv> {
  for (const [name, v] of [["key", key], ["value", value]] as const) {
    if (typeof v !== "string" || v === "") {
      throw new AuthLiteInputError(
        "ERR_CONFIG",
        `Invalid argument: ${name} must be a non-empty string`,
      );
    }
  }
  return async (c, next) => {
    const state = stateOf(c, "requirePermission()");
    if (state.session === null) throw noSessionError(state.error, State.bearer(state));
    if (await grants(state.client, state.session.roles, key, value)) return await next();
    throw new AuthLiteHonoError(403, "ERR_FORBIDDEN", `Missing permission: ${key}`);
  };
}
