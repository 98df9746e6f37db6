/**
 * The one session resolver: reads the session of a request (a Bearer access
 * token, or the session cookies), validates it through the client and its
 * token cache, refreshes it, reads the user's current roles, and yields the
 * session, the `Set-Cookie` lines to send, and any error. The Hono
 * middleware wraps it, the gateway's session routes call it, and
 * `sessionFromRequest()` serves any Web `Request` with it.
 *
 * What it decides (issue 17): the session cookies are cleared only when the
 * upstream says the token set is invalid (`ERR_INVALID_TOKEN_SET`). An outage
 * (`ERR_UNAVAILABLE`; a network error, a timeout, a 408, 429 or 5xx of a
 * client that does not say so yet) decides nothing: the cookies stay. A 401 on
 * the user read of an access token validated a moment before is no logout
 * either: the token set is checked again (and refreshed if it has expired), or
 * the answer is `ERR_UNAVAILABLE`. When the user's roles cannot be read again,
 * a session whose access token is valid keeps its last known roles for
 * `staleRolesMaxSeconds` (`stale: true`, the error beside it).
 *
 * @module
 */
import {
  AuthLiteError,
  AuthLiteHttpError,
  AuthLiteInputError,
  AuthLiteUnavailableError,
  DEFAULT_RETRY_AFTER_SECONDS,
  unavailableOf,
} from "../errors.ts";
import { bearerOf } from "../_bearer.ts";
import { BoundedMap } from "../_bounded_map.ts";
import type { AuthLiteClient, CurrentUser, TokenCheck } from "../client/mod.ts";
import { SessionCookieCodec, type SessionCookieOptions } from "./_session_cookies.ts";
import { type Session, sessionOf } from "./session.ts";

/** Where a request's session came from. */
export type SessionSource = "cookie" | "bearer";

/** Options of the session resolver (and of everything that wraps it). */
export interface SessionOptions {
  /** The TrustAuthX client (give it a `tokenCache` so that a good session costs no upstream call). */
  client: AuthLiteClient;
  /**
   * The session secret (32+ characters, the gateway's `sessionSecret`):
   * verifies and signs the profile cookie. Without it the user is read from
   * upstream once per access token and role TTL, and kept in process memory.
   */
  sessionSecret?: string;
  /** The session cookies' settings: the same as the gateway's `cookie` option. */
  cookie?: SessionCookieOptions;
  /** Read the session cookies (default `true`). */
  cookies?: boolean;
  /** Accept `Authorization: Bearer <access token>` (default `true`). */
  bearer?: boolean;
  /**
   * How long a session whose access token is still valid keeps its last
   * known roles while they cannot be read again (an upstream or store
   * outage), in seconds (default 300; 0: never). While the upstream answers,
   * roles are re-read after the client's `roleCacheTtlSeconds` as always.
   */
  staleRolesMaxSeconds?: number;
  /** The clock in ms that the client's `now` uses (default `Date.now`). */
  now?: () => number;
}

/** What the resolver found. */
export interface SessionResult {
  /** The signed-in user, or `null`. */
  session: Session | null;
  /** Where the credentials came from (`null`: none presented). */
  source: SessionSource | null;
  /** The access token to use from now on (after a refresh, the new one), or `null`. */
  accessToken: string | null;
  /** Whether the session was refreshed by this request (and the cookies re-set). */
  refreshed: boolean;
  /** Whether `session.roles` are the last known ones, kept through an outage. */
  stale: boolean;
  /**
   * Why the credentials presented make no session (e.g. `ERR_INVALID_TOKEN_SET`,
   * `ERR_UNAVAILABLE`), or why the roles are stale; `null` otherwise.
   */
  error: AuthLiteError | null;
  /** The `Set-Cookie` lines to send with the reply (rotated or cleared cookies). */
  setCookie: string[];
}

const MEMO_ENTRIES = 1000;
const DEFAULT_STALE_SECONDS = 300;

/**
 * The error of a failed step, as the resolver reports it: an outage of a
 * client that does not report `ERR_UNAVAILABLE` itself (a network error, a
 * timeout, a 408, 429 or 5xx) becomes one; anything that is not an
 * `AuthLiteError` (a bug) is thrown.
 *
 * @param err what was thrown
 * @returns the error to report
 */
export function reportedError(err: unknown): AuthLiteError {
  if (!(err instanceof AuthLiteError)) throw err;
  return unavailableOf(err) ?? err;
}

/** The statuses with which the upstream says something of the credentials it was sent. */
const VERDICTS: ReadonlySet<number> = new Set([400, 401, 403]);

/**
 * The error of a failed step of a session's resolution: as
 * {@linkcode reportedError}, and an upstream answer that is no verdict on the
 * session (a reply that cannot be read or does not verify, a redirect, a 404)
 * is an outage too: the session is kept and the caller told to come back
 * (503 with `Retry-After`), as for a 5xx.
 */
function sessionError(err: unknown): AuthLiteError {
  const error = reportedError(err);
  const unread = error.code === "ERR_BAD_REPLY" || error.code === "ERR_BAD_SIGNATURE" ||
    (error instanceof AuthLiteHttpError && !VERDICTS.has(error.status));
  if (!unread) return error;
  return new AuthLiteUnavailableError("upstream", error.message, DEFAULT_RETRY_AFTER_SECONDS, {
    cause: error,
  });
}

/** Whether an error is an outage (decides nothing of the session), not a verdict. */
function isOutage(err: AuthLiteError): boolean {
  return err.code === "ERR_UNAVAILABLE";
}

/** A 401 of the upstream on a user read. */
function isRefusedRead(err: unknown): boolean {
  return err instanceof AuthLiteHttpError && err.status === 401;
}

/** The session resolver of one set of options: see the module's note. */
export class SessionResolver {
  /** The client. */
  readonly client: AuthLiteClient;
  /** The session cookies. */
  readonly cookies: SessionCookieCodec;
  /** Whether `Authorization: Bearer` is read. */
  readonly bearer: boolean;
  #readCookies: boolean;
  #staleMs: number;
  #now: () => number;
  /** Users read from upstream, by access token (in process, where the token already is). */
  #memo = new BoundedMap<string, CurrentUser>(MEMO_ENTRIES);

  /**
   * Check the options and build the resolver.
   *
   * @param options the client, the session secret and what to read
   * @throws {AuthLiteInputError} `ERR_CONFIG` when the client is missing, the
   *   secret is shorter than 32 characters or a number is out of range
   */
  constructor(options: SessionOptions) {
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
    const stale = options.staleRolesMaxSeconds ?? DEFAULT_STALE_SECONDS;
    if (typeof stale !== "number" || !(stale >= 0) || !Number.isFinite(stale)) {
      throw new AuthLiteInputError(
        "ERR_CONFIG",
        "Invalid option: staleRolesMaxSeconds must be a number of seconds, 0 or more",
      );
    }
    this.client = options.client;
    try {
      this.cookies = new SessionCookieCodec(secret, options.cookie);
    } catch (err) {
      throw new AuthLiteInputError("ERR_CONFIG", `Invalid option: cookie: ${String(err)}`);
    }
    this.bearer = options.bearer ?? true;
    this.#readCookies = options.cookies ?? true;
    this.#staleMs = stale * 1000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Resolve the session of a request.
   *
   * @param authorization the `Authorization` header, if any
   * @param jar the request's cookies
   * @returns the session (or none), the cookies to set and any error
   * @throws whatever is not an `AuthLiteError` (a bug)
   */
  async resolve(
    authorization: string | null | undefined,
    jar: Readonly<Record<string, string>>,
  ): Promise<SessionResult> {
    if (this.bearer) {
      const token = bearerOf(authorization);
      if (token !== undefined) return await this.#fromBearer(token);
    }
    if (this.#readCookies) {
      const { access, refresh } = this.cookies.tokens(jar);
      if (access !== undefined) return await this.#fromCookies(jar, access, refresh);
    }
    return none(null, null, []);
  }

  /**
   * Remember a user read for an access token (after a login), so that the
   * next request of the session costs no read.
   *
   * @param access the access token
   * @param user the user, with the time the roles were read
   */
  remember(access: string, user: CurrentUser): void {
    this.#memo.set(access, user);
  }

  /** The last known user of a session whose roles may still stand in for current ones. */
  async #stale(known: CurrentUser | undefined): Promise<CurrentUser | undefined> {
    if (known === undefined || this.#staleMs === 0) return undefined;
    const age = this.#now() - known.readAt;
    if (!(age >= -60_000 && age < this.#staleMs)) return undefined;
    // Roles changed since they were read (a demotion) are known to be wrong:
    // not served through an outage (the caller answers 503 instead).
    if (await this.client.roles.changedSince?.(known) === true) return undefined;
    return known;
  }

  /** The fresher of the signed cookie's user and what this process read last. */
  #known(jar: Readonly<Record<string, string>>, access: string): CurrentUser | undefined {
    const fromCookie = this.cookies.profile(jar, access);
    const fromMemo = this.#memo.get(access);
    return fromMemo !== undefined &&
        (fromCookie === undefined || fromMemo.readAt > fromCookie.readAt)
      ? fromMemo
      : fromCookie;
  }

  async #fromBearer(token: string): Promise<SessionResult> {
    let check: TokenCheck;
    try {
      check = await this.client.validateTokenSet(token);
    } catch (err) {
      return none(sessionError(err), "bearer", []);
    }
    const known = this.#memo.get(token);
    let user: CurrentUser;
    try {
      user = await this.client.roles.currentUser(check.access, known);
    } catch (err) {
      const error = sessionError(err);
      const stale = isOutage(error) ? await this.#stale(known) : undefined;
      if (stale === undefined) return none(error, "bearer", []);
      return found(stale, "bearer", token, false, true, error, []);
    }
    if (user !== known) this.#memo.set(token, user);
    return found(user, "bearer", token, false, false, null, []);
  }

  async #fromCookies(
    jar: Readonly<Record<string, string>>,
    access: string,
    refresh: string | undefined,
  ): Promise<SessionResult> {
    let check: TokenCheck;
    try {
      check = await this.client.validateTokenSet(access, refresh);
    } catch (err) {
      const error = sessionError(err);
      // Only the upstream's verdict on the token set ends a session.
      const lines = error.code === "ERR_INVALID_TOKEN_SET" ? this.cookies.clear() : [];
      return none(error, "cookie", lines);
    }
    // What was known of the user before any refresh: the roles of a session
    // are read again after a refresh, but stand in for them during an outage.
    const previous = this.#known(jar, access);
    const held = { check };
    let user: CurrentUser;
    try {
      user = await this.#read(held, check.state ? previous : undefined);
    } catch (err) {
      const error = sessionError(err);
      if (error.code === "ERR_INVALID_TOKEN_SET") {
        return none(error, "cookie", this.cookies.clear());
      }
      const now = held.check;
      const refreshed = now.access !== access;
      const stale = isOutage(error) ? await this.#stale(previous) : undefined;
      // Rotated tokens are kept whatever happens next: the old refresh token is spent.
      const lines = refreshed ? this.cookies.set(jar, now.access, now.refresh, stale ?? null) : [];
      if (stale === undefined) return none(error, "cookie", lines);
      return found(stale, "cookie", now.access, refreshed, true, error, lines);
    }
    check = held.check;
    const refreshed = check.access !== access;
    let lines: string[] = [];
    if (refreshed || user !== previous) {
      this.#memo.set(check.access, user);
      lines = this.cookies.set(jar, check.access, check.refresh, user);
    }
    return found(user, "cookie", check.access, refreshed, false, null, lines);
  }

  /**
   * The user of a validated token set, with the token set to use from now
   * on. A 401 on the read, for an access token validated a moment ago, is
   * answered by checking the set again (it refreshes an access token that has
   * expired meanwhile); if that changes nothing, it is an outage.
   */
  async #read(held: { check: TokenCheck }, known: CurrentUser | undefined): Promise<CurrentUser> {
    const check = held.check;
    try {
      return await this.client.roles.currentUser(check.access, known);
    } catch (err) {
      if (!isRefusedRead(err)) throw err;
      if (check.refresh !== null) {
        const again = await this.client.validateTokenSet(check.access, check.refresh);
        if (again.access !== check.access) {
          held.check = again;
          return await this.client.roles.currentUser(again.access);
        }
      }
      throw new AuthLiteUnavailableError(
        "upstream",
        "The user of a session validated a moment ago could not be read",
        1,
        { cause: err },
      );
    }
  }
}

function none(
  error: AuthLiteError | null,
  source: SessionSource | null,
  setCookie: string[],
): SessionResult {
  return {
    session: null,
    source,
    accessToken: null,
    refreshed: false,
    stale: false,
    error,
    setCookie,
  };
}

function found(
  user: CurrentUser,
  source: SessionSource,
  accessToken: string,
  refreshed: boolean,
  stale: boolean,
  error: AuthLiteError | null,
  setCookie: string[],
): SessionResult {
  return { session: sessionOf(user), source, accessToken, refreshed, stale, error, setCookie };
}
