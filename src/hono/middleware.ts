/**
 * Middleware for Hono apps: `authlite()` reads the session (the gateway's
 * cookies, or `Authorization: Bearer <access token>`), validates it through
 * the client and its token cache, refreshes it, and puts the signed-in user
 * on `c.var.session`; `requireSession()` and `requirePermission()` guard
 * routes.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { AuthLiteError, AuthLiteHttpError, AuthLiteInputError } from "../errors.ts";
import type { AuthLiteClient, CurrentUser } from "../client/mod.ts";
import { type Session, type SessionCookieOptions, SessionCookies } from "./cookies.ts";
import { AuthLiteHonoError } from "./errors.ts";

/** Options of {@linkcode authlite}. */
export interface AuthLiteOptions {
  /** The TrustAuthX client (give it a `tokenCache` so that a good session costs no upstream call). */
  client: AuthLiteClient;
  /**
   * The gateway's `sessionSecret` (32+ characters): verifies and signs the
   * profile cookie. Without it the user is read from upstream once per
   * access token and role TTL, and kept in process memory.
   */
  sessionSecret?: string;
  /** The session cookies' settings: the same as the gateway's `cookie` option. */
  cookie?: SessionCookieOptions;
  /** Read the session cookies (default `true`). */
  cookies?: boolean;
  /** Accept `Authorization: Bearer <access token>` (default `true`). */
  bearer?: boolean;
}

/** Where the request's session came from. */
export type SessionSource = "cookie" | "bearer";

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
  /** Why credentials that were presented make no session (e.g. `ERR_INVALID_TOKEN_SET`). */
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

const MEMO_ENTRIES = 1000;
const UNAUTHORIZED_HEADERS = { "www-authenticate": 'Bearer realm="authlite"' };

/** The credential of an `Authorization: Bearer <credential>` header. */
function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1];
}

/** Users read from upstream, by access token (in process, where the token already is). */
class Memo {
  #map = new Map<string, CurrentUser>();

  get(token: string): CurrentUser | undefined {
    return this.#map.get(token);
  }

  set(token: string, user: CurrentUser): void {
    this.#map.delete(token);
    this.#map.set(token, user);
    if (this.#map.size > MEMO_ENTRIES) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) this.#map.delete(oldest);
    }
  }
}

function sessionOf(user: CurrentUser): Session {
  return { uid: user.uid, email: user.email, name: user.name, img: user.img, roles: user.roles };
}

/** Whether an error means "these credentials are no good" rather than an outage. */
function isRejection(err: unknown): err is AuthLiteError {
  if (!(err instanceof AuthLiteError)) return false;
  // A malformed token (empty, too long) is no session either.
  if (err.code === "ERR_INVALID_TOKEN_SET" || err.code === "ERR_BAD_INPUT") return true;
  return err instanceof AuthLiteHttpError && (err.status === 401 || err.status === 403);
}

function outage(err: unknown): unknown {
  return err instanceof AuthLiteError ? AuthLiteHonoError.of(err) : err;
}

/**
 * Middleware: reads the request's session, from `Authorization: Bearer
 * <access token>` or from the gateway's session cookies, validates it through
 * the client (and its token cache), refreshes an expired access token and
 * re-sets the cookies as the gateway does, and puts the user on
 * `c.var.session` (`null` when there is none). A session that is over clears
 * the cookies. The user's roles are current: read again from upstream when
 * older than the client's `roleCacheTtlSeconds` or older than a change of
 * them made through any instance sharing the client's store.
 *
 * @param options the client, the session secret and what to read
 * @returns the middleware
 * @throws {AuthLiteInputError} `ERR_CONFIG` when the client is missing or the
 *   secret is shorter than 32 characters
 * @throws {AuthLiteHonoError} from the middleware, 502 when the upstream
 *   cannot tell whether the session is good (an outage)
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
  if (typeof options !== "object" || options === null || typeof options.client !== "object") {
    throw new AuthLiteInputError("ERR_CONFIG", "Missing option: client");
  }
  const secret = options.sessionSecret;
  if (secret !== undefined && (typeof secret !== "string" || secret.length < 32)) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      "Invalid option: sessionSecret must be at least 32 characters",
    );
  }
  const { client } = options;
  const cookies = new SessionCookies(secret, options.cookie);
  const readCookies = options.cookies ?? true;
  const readBearer = options.bearer ?? true;
  const memo = new Memo();
  const owner = Symbol("authlite");

  const none = (error: AuthLiteError | null, source: SessionSource | null): AuthLiteState => ({
    session: null,
    source,
    accessToken: null,
    refreshed: false,
    error,
    client,
  });

  async function fromBearer(token: string): Promise<AuthLiteState> {
    let user: CurrentUser;
    let known: CurrentUser | undefined;
    try {
      await client.validateTokenSet(token);
      known = memo.get(token);
      user = await client.roles.currentUser(token, known);
    } catch (err) {
      if (isRejection(err)) return none(err, "bearer");
      throw outage(err);
    }
    if (user !== known) memo.set(token, user);
    return {
      session: sessionOf(user),
      source: "bearer",
      accessToken: token,
      refreshed: false,
      error: null,
      client,
    };
  }

  async function fromCookies(
    c: Context,
    access: string,
    refresh: string | undefined,
  ): Promise<AuthLiteState> {
    let check;
    try {
      check = await client.validateTokenSet(access, refresh);
    } catch (err) {
      if (isRejection(err)) {
        cookies.clear(c);
        return none(err, "cookie");
      }
      throw outage(err);
    }
    const refreshed = !check.state;
    // After a refresh the user (roles included) is read again from upstream.
    // The fresher of the signed cookie and what this process read last: a
    // client that does not keep the cookie re-set after a re-read (a script,
    // a fan-out of requests in flight) must not cost an upstream read each time.
    const fromCookie = refreshed ? undefined : cookies.profile(c, access);
    const fromMemo = refreshed ? undefined : memo.get(access);
    const known = fromMemo !== undefined &&
        (fromCookie === undefined || fromMemo.readAt > fromCookie.readAt)
      ? fromMemo
      : fromCookie;
    let user: CurrentUser;
    try {
      user = await client.roles.currentUser(check.access, known);
    } catch (err) {
      if (isRejection(err)) {
        cookies.clear(c);
        return none(err, "cookie");
      }
      throw outage(err);
    }
    if (refreshed || user !== known) {
      memo.set(check.access, user);
      cookies.set(c, check.access, check.refresh, user);
    }
    return {
      session: sessionOf(user),
      source: "cookie",
      accessToken: check.access,
      refreshed,
      error: null,
      client,
    };
  }

  async function resolve(c: Context): Promise<AuthLiteState> {
    if (readBearer) {
      const token = bearerOf(c.req.header("authorization"));
      if (token !== undefined) return await fromBearer(token);
    }
    if (readCookies) {
      const { access, refresh } = cookies.tokens(c);
      if (access !== undefined) return await fromCookies(c, access, refresh);
    }
    return none(null, null);
  }

  return async (c, next) => {
    const seen = states.get(c);
    if (seen === undefined || seen.owner !== owner) {
      const state = await resolve(c);
      states.set(c, { owner, state, bearer: readBearer });
      c.set("authlite", state);
      c.set("session", state.session);
    }
    await next();
  };
}

// Which authlite() resolved a context already (the gateway runs it inline too).
const states = new WeakMap<
  Context,
  { owner: symbol; state: AuthLiteState; bearer: boolean }
>();

function stateOf(c: Context, caller: string): { state: AuthLiteState; bearer: boolean } {
  const entry = states.get(c);
  if (entry === undefined) {
    throw new AuthLiteHonoError(
      500,
      "ERR_CONFIG",
      `Missing middleware: use authlite() before ${caller}`,
    );
  }
  return entry;
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
  return states.get(c)?.state.session ?? null;
}

/**
 * The whole state `authlite()` found: the user, where the credentials came
 * from, the access token to use, whether the session was refreshed.
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
  return states.get(c)?.state ?? null;
}

function unauthorized(state: AuthLiteState, withBearer: boolean): AuthLiteHonoError {
  if (state.error !== null && state.error.code === "ERR_BAD_INPUT") {
    // A malformed token (empty, too long): no session, not a bad request of the caller's.
    return new AuthLiteHonoError(
      401,
      "ERR_UNAUTHORIZED",
      "Not signed in: the session's token is malformed",
      withBearer ? UNAUTHORIZED_HEADERS : {},
    );
  }
  if (state.error !== null) {
    const err = AuthLiteHonoError.of(state.error);
    return new AuthLiteHonoError(
      err.status as 401,
      err.code,
      err.message,
      withBearer ? UNAUTHORIZED_HEADERS : {},
      state.error,
    );
  }
  return new AuthLiteHonoError(
    401,
    "ERR_UNAUTHORIZED",
    "Not signed in: log in first",
    withBearer ? UNAUTHORIZED_HEADERS : {},
  );
}

/**
 * Middleware: answers 401 (`{error: {code, message}}`) unless the request has
 * a session. Use it after `authlite()`.
 *
 * @returns the middleware
 * @throws {AuthLiteHonoError} from the middleware: 401 `ERR_UNAUTHORIZED`
 *   without credentials, `ERR_INVALID_TOKEN_SET` when the session is over;
 *   500 `ERR_CONFIG` when `authlite()` did not run before
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
    const { state, bearer } = stateOf(c, "requireSession()");
    if (state.session === null) throw unauthorized(state, bearer);
    await next();
  };
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
 * @throws {AuthLiteHonoError} from the middleware: 401, 403, or 502 when the
 *   roles cannot be loaded
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
    const { state, bearer } = stateOf(c, "requirePermission()");
    if (state.session === null) throw unauthorized(state, bearer);
    for (const role of state.session.roles) {
      let granted: boolean;
      try {
        granted = await state.client.roles.validate(role, key, value);
      } catch (err) {
        throw outage(err);
      }
      if (granted) return await next();
    }
    throw new AuthLiteHonoError(403, "ERR_FORBIDDEN", `Missing permission: ${key}`);
  };
}
