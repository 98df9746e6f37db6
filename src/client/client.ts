/**
 * {@linkcode AuthLiteClient}: every operation of the TrustAuthX API, with
 * verified signatures, typed errors, timeouts, retries and a local role cache.
 *
 * @module
 */
import type { TokenSetCacheOptions } from "../cache/mod.ts";
import { RoleMarks, TokenSetCache } from "../cache/mod.ts";
import type { ClientContext } from "./_context.ts";
import { Breaker } from "../_breaker.ts";
import { TokenSetGuard } from "./_guard.ts";
import { Slots } from "./_slots.ts";
import { AuthLiteInputError } from "../errors.ts";
import { type AuthLiteObserver, emit } from "../_events.ts";
import { requireIdList, requireText } from "./_input.ts";
import { assignRoles } from "./assignments.ts";
import { resolveOptions } from "./options.ts";
import type { AuthLiteClientOptions } from "./options.ts";
import { createRoles } from "./roles.ts";
import type { Roles } from "./roles.ts";
import { LazySignedKey } from "./signing.ts";
import { redeemRefreshToken, refreshTokens, revokeToken, validateAccessToken } from "./tokens.ts";
import { TokenSet } from "./token_set.ts";
import { Transport } from "./transport.ts";
import type {
  ReAuthResult,
  RevokeTokenOptions,
  RoleAssignment,
  RoleAssignmentOptions,
  TokenCheck,
  TokenPair,
  TokenSetCheckOptions,
  User,
  UserData,
} from "./types.ts";
import { editUserUrl, loginUrl } from "./urls.ts";
import { getUser, getUserData, reAuth } from "./users.ts";

/**
 * A client of the TrustAuthX API for one organisation.
 *
 * The constructor only checks its options: no network, no signing. The
 * `signed_key` is computed on the first request and kept.
 *
 * @example Log a user in
 * ```ts ignore
 * import { AuthLiteClient } from "@authlite/authlite";
 * const client = new AuthLiteClient({ apiKey: "key", secretKey: "secret", orgId: "org" });
 * const loginUrl = client.generateUrl(); // send the browser there
 * // ...TrustAuthX redirects back with ?code=<UserToken>
 * const user = await client.getUser("code-from-the-callback");
 * const check = await client.validateTokenSet(user.accessToken, user.refreshToken);
 * ```
 */
export class AuthLiteClient {
  /** The organisation's roles and permissions, with the local role cache. */
  readonly roles: Roles;
  #ctx: ClientContext;
  /** The token-set check and the revocation policy (token_set.ts). */
  #tokens: TokenSet;
  #marks: RoleMarks;

  /**
   * Create a client. Synchronous and offline: it checks the options and
   * nothing else.
   *
   * @param options the credentials and settings
   * @throws {AuthLiteInputError} `ERR_CONFIG` when an option is missing or invalid
   *
   * @example
   * ```ts
   * import { AuthLiteClient } from "@authlite/authlite";
   * const client = new AuthLiteClient({
   *   apiKey: "key_demo",
   *   secretKey: "demo-secret",
   *   orgId: "org_demo",
   *   baseUrl: "http://127.0.0.1:8787",
   *   timeoutMs: 5_000,
   * });
   * console.assert(client.generateUrl().endsWith("/widget/login/?org_id=org_demo"));
   * ```
   */
  constructor(options: AuthLiteClientOptions) {
    const resolved = resolveOptions(options);
    const signedKey = new LazySignedKey(resolved.apiKey, resolved.secretKey);
    let observeEdge: (header: string | null) => void = () => {};
    const observe: AuthLiteObserver | undefined = resolved.observe;
    const breaker = resolved.breaker === false ? undefined : new Breaker({
      failures: resolved.breaker.failures,
      openMs: resolved.breaker.openMs,
      now: resolved.now,
      onChange: (state) => emit(observe, { type: "breaker", name: "upstream", state }),
    });
    const transport = new Transport({
      baseUrl: resolved.baseUrl,
      fetch: resolved.fetch,
      timeoutMs: resolved.timeoutMs,
      retries: resolved.retries,
      secrets: () => {
        const signed = signedKey.peek();
        return signed === undefined
          ? [resolved.apiKey, resolved.secretKey]
          : [resolved.apiKey, resolved.secretKey, signed];
      },
      onReply: (headers) => observeEdge(headers.get("x-edge")),
      breaker,
      observe,
      now: resolved.now,
    });
    this.#ctx = {
      options: resolved,
      transport,
      signedKey,
      secretBytes: new TextEncoder().encode(resolved.secretKey),
    };
    const ttlMs = resolved.roleCacheTtlSeconds * 1000;
    this.#marks = new RoleMarks({
      store: resolved.tokenCache,
      secretKey: resolved.secretKey,
      now: resolved.now,
      syncMs: Math.min(1000, ttlMs),
      // Longer than any user's roles are taken as current without a check.
      markTtlSeconds: resolved.roleCacheTtlSeconds + 60,
    });
    const roles = createRoles(this.#ctx, {
      marks: this.#marks,
      ttlMs,
      staleMaxMs: resolved.staleRolesMaxSeconds * 1000,
    });
    observeEdge = roles.observeEdge;
    const { observeEdge: _, ...publicRoles } = roles;
    this.roles = Object.freeze(publicRoles);
    let cache: TokenSetCache | undefined;
    if (resolved.tokenCache !== undefined) {
      // `observe` reaches the cache through its options (optional there).
      const cacheOptions: TokenSetCacheOptions & { observe?: AuthLiteObserver } = {
        ...resolved.tokenCacheOptions,
        store: resolved.tokenCache,
        secretKey: resolved.secretKey,
        now: resolved.now,
      };
      if (observe !== undefined) cacheOptions.observe = observe;
      cache = new TokenSetCache(cacheOptions);
    }
    const ctx = this.#ctx;
    this.#tokens = new TokenSet({
      ops: {
        validate: (accessToken) => validateAccessToken(ctx, accessToken),
        refresh: (refreshToken) => redeemRefreshToken(ctx, refreshToken),
      },
      cache,
      // Bogus sessions: rejections remembered briefly, concurrent checks of one
      // pair shared, upstream calls of the check bounded in flight and waiting.
      guard: new TokenSetGuard({ now: resolved.now }),
      slots: new Slots({
        maxInFlight: resolved.maxUpstreamInFlight,
        maxQueue: resolved.maxUpstreamQueue,
      }),
      revoke: (options) => revokeToken(ctx, options),
    });
  }

  /**
   * The URL of the login widget: `{widgetUrl}/widget/login/?org_id=..`.
   *
   * @returns the URL to send the browser to
   * @throws {AuthLiteInputError} `ERR_CONFIG` when `orgId` is not configured
   */
  generateUrl(): string {
    return loginUrl(this.#ctx);
  }

  /**
   * The URL of the user's settings page; TrustAuthX sends the user back to
   * `redirectUrl` with `?code=..&ac=true|false` (call {@linkcode reAuth} when `ac` is true).
   *
   * @param accessToken the user's access token
   * @param redirectUrl where to come back to
   * @returns the URL to send the browser to (it holds the token and the signed key: do not log it)
   * @throws {AuthLiteInputError} `ERR_BAD_INPUT` for an empty token or an invalid URL
   */
  generateEditUserUrl(accessToken: string, redirectUrl: string): Promise<string> {
    return editUserUrl(this.#ctx, accessToken, redirectUrl);
  }

  /**
   * The user's fresh session after they edited their profile.
   *
   * @param code the `code` TrustAuthX put on the redirect
   * @returns the user and their new tokens
   * @throws {AuthLiteError} `ERR_BAD_INPUT`, `ERR_HTTP`, `ERR_NETWORK`,
   *   `ERR_TIMEOUT`, `ERR_BAD_REPLY` or `ERR_BAD_SIGNATURE`
   */
  reAuth(code: string): Promise<ReAuthResult> {
    return reAuth(this.#ctx, code);
  }

  /**
   * Exchange the login code (the `code` on the callback, a UserToken) for the
   * user and their tokens.
   *
   * @param userToken the login code
   * @returns the user, their roles and tokens
   * @throws {AuthLiteError} `ERR_BAD_INPUT`, `ERR_HTTP`, `ERR_NETWORK`,
   *   `ERR_TIMEOUT`, `ERR_BAD_REPLY` or `ERR_BAD_SIGNATURE`
   */
  getUser(userToken: string): Promise<User> {
    return getUser(this.#ctx, userToken);
  }

  /**
   * The profile of the user holding `accessToken`.
   *
   * @param accessToken the user's access token
   * @returns the user's data
   * @throws {AuthLiteError} `ERR_BAD_INPUT`, `ERR_HTTP`, `ERR_NETWORK`,
   *   `ERR_TIMEOUT`, `ERR_BAD_REPLY` or `ERR_BAD_SIGNATURE`
   */
  getUserData(accessToken: string): Promise<UserData> {
    return getUserData(this.#ctx, accessToken);
  }

  /**
   * A new token pair for a refresh token.
   *
   * @param refreshToken the refresh token
   * @returns the new access and refresh tokens
   * @throws {AuthLiteError} `ERR_BAD_INPUT`, `ERR_HTTP` (e.g. 401 for a
   *   rejected token), `ERR_NETWORK`, `ERR_TIMEOUT` or `ERR_BAD_REPLY`
   */
  getAccessTokenFromRefreshToken(refreshToken: string): Promise<TokenPair> {
    return refreshTokens(this.#ctx, refreshToken);
  }

  /**
   * Whether an access token is valid: `true` on 2xx, `false` on 401 or 403.
   * With `tokenCache`, a cached answer saves the round-trip.
   *
   * @param accessToken the access token
   * @returns whether it is valid
   * @throws {AuthLiteCredentialsError} `ERR_CREDENTIALS` when TrustAuthX rejects the
   *   organisation's own credentials (never `false`)
   * @throws {AuthLiteError} `ERR_BAD_INPUT`; `ERR_HTTP` for other statuses,
   *   `ERR_NETWORK` or `ERR_TIMEOUT` (an outage is not an answer);
   *   `ERR_UNAVAILABLE` while the circuit breaker is open or the queue is full
   */
  async validateAccessToken(accessToken: string): Promise<boolean> {
    requireText(accessToken, "accessToken");
    return await this.#tokens.validate(accessToken);
  }

  /**
   * Revoke an access token, a refresh token, both, or (`revokeAllTokens`)
   * every token of the user. Cached token sets of these tokens are forgotten.
   *
   * @param options the token(s) to revoke; at least one
   * @returns whether the upstream revoked them
   * @throws {AuthLiteError} `ERR_BAD_INPUT` when neither token is given
   *   (before any request), `ERR_HTTP`, `ERR_NETWORK`, `ERR_TIMEOUT` or `ERR_BAD_REPLY`
   */
  revokeToken(options: RevokeTokenOptions): Promise<boolean> {
    return this.#tokens.revoke(options);
  }

  /**
   * Validate a token set: a valid access token answers `{state: true}` with
   * the tokens as given; an invalid one is refreshed with the refresh token
   * and answers `{state: false}` with the new tokens.
   *
   * Only the upstream's word logs a user out: an invalid access token with
   * no refresh token, or a refresh answered 400, 401 or 403. An outage (429,
   * 408, 5xx, network error, timeout), an open circuit breaker or a full
   * queue of upstream calls decides nothing: `ERR_UNAVAILABLE`, try again
   * after `retryAfterSeconds` (a 429's or 503's `Retry-After`, else 5 s).
   *
   * @param accessToken the access token
   * @param refreshToken the refresh token, if any
   * @param options `signal`: abort it when the caller has gone, and its
   *   upstream call leaves the queue (when no other caller shares it)
   * @returns `{state, access, refresh}`
   * @throws {AuthLiteTokenSetError} `ERR_INVALID_TOKEN_SET` when the access
   *   token is invalid and there is no refresh token or it is rejected: log in again
   * @throws {AuthLiteUnavailableError} `ERR_UNAVAILABLE`: the upstream cannot
   *   decide now (`upstream`), or too many calls wait (`capacity`)
   * @throws {AuthLiteCredentialsError} `ERR_CREDENTIALS`: TrustAuthX rejects the
   *   organisation's own credentials
   * @throws {AuthLiteError} `ERR_BAD_INPUT`, `ERR_BAD_REPLY`, or `ERR_HTTP`
   *   for another status (e.g. 404)
   *
   * @example
   * ```ts ignore
   * const check = await client.validateTokenSet(access, refresh, { signal: request.signal });
   * ```
   */
  validateTokenSet(
    accessToken: string,
    refreshToken?: string,
    options?: TokenSetCheckOptions,
  ): Promise<TokenCheck> {
    try {
      requireText(accessToken, "accessToken");
      if (refreshToken !== undefined) requireText(refreshToken, "refreshToken");
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#tokens.check(accessToken, refreshToken, options?.signal);
  }

  /**
   * Give a user one or more roles.
   *
   * @param uid the user's id
   * @param rolIds the role id(s) to add
   * @param options sign-off: re-issue the user's session (needs both tokens)
   * @returns with sign-off the new session (`signedOff: true`), else the upstream's reply
   * @throws {AuthLiteError} `ERR_CONFIG` without `orgId`, `ERR_BAD_INPUT`
   *   (before any request), `ERR_HTTP`, `ERR_NETWORK`, `ERR_TIMEOUT` or `ERR_BAD_REPLY`
   */
  async attachRole(
    uid: string,
    rolIds: string | readonly string[],
    options?: RoleAssignmentOptions,
  ): Promise<RoleAssignment> {
    return await this.#assign(uid, () =>
      assignRoles(this.#ctx, {
        operation: "attachRole",
        uid,
        add: requireIdList(rolIds, "rolIds"),
        remove: [],
        options,
      }), options);
  }

  /**
   * Take one or more roles from a user.
   *
   * @param uid the user's id
   * @param rolIds the role id(s) to remove
   * @param options sign-off: re-issue the user's session (needs both tokens)
   * @returns with sign-off the new session (`signedOff: true`), else the upstream's reply
   * @throws {AuthLiteError} `ERR_CONFIG` without `orgId`, `ERR_BAD_INPUT`
   *   (before any request), `ERR_HTTP`, `ERR_NETWORK`, `ERR_TIMEOUT` or `ERR_BAD_REPLY`
   */
  async removeRole(
    uid: string,
    rolIds: string | readonly string[],
    options?: RoleAssignmentOptions,
  ): Promise<RoleAssignment> {
    return await this.#assign(uid, () =>
      assignRoles(this.#ctx, {
        operation: "removeRole",
        uid,
        add: [],
        remove: requireIdList(rolIds, "rolIds"),
        options,
      }), options);
  }

  /**
   * Add some roles to a user and remove others, in one call.
   *
   * @param uid the user's id
   * @param rolIdsToAdd the role id(s) to add (may be empty)
   * @param rolIdsToRemove the role id(s) to remove (may be empty, not both)
   * @param options sign-off: re-issue the user's session (needs both tokens)
   * @returns with sign-off the new session (`signedOff: true`), else the upstream's reply
   * @throws {AuthLiteError} `ERR_CONFIG` without `orgId`, `ERR_BAD_INPUT`
   *   (before any request), `ERR_HTTP`, `ERR_NETWORK`, `ERR_TIMEOUT` or `ERR_BAD_REPLY`
   */
  async updateRole(
    uid: string,
    rolIdsToAdd: string | readonly string[],
    rolIdsToRemove: string | readonly string[],
    options?: RoleAssignmentOptions,
  ): Promise<RoleAssignment> {
    const add = requireIdList(rolIdsToAdd, "rolIdsToAdd", true);
    const remove = requireIdList(rolIdsToRemove, "rolIdsToRemove", true);
    if (add.length === 0 && remove.length === 0) {
      throw new AuthLiteInputError(
        "ERR_BAD_INPUT",
        "Empty arguments: rolIdsToAdd and rolIdsToRemove",
      );
    }
    return await this.#assign(
      uid,
      () => assignRoles(this.#ctx, { operation: "updateRole", uid, add, remove, options }),
      options,
    );
  }

  /**
   * Run an assignment, then mark the user's roles as changed in the shared
   * store (also after a failure that may have reached upstream), so every
   * instance reads them again.
   */
  async #assign(
    uid: string,
    run: () => Promise<RoleAssignment>,
    options?: RoleAssignmentOptions,
  ): Promise<RoleAssignment> {
    let sent = true;
    try {
      const result = await run();
      if (result.signedOff && options?.accessToken !== undefined) {
        await this.#tokens.signedOff([options.accessToken, options.refreshToken]);
      }
      return result;
    } catch (err) {
      if (err instanceof AuthLiteInputError) sent = false;
      throw err;
    } finally {
      if (sent && typeof uid === "string" && uid !== "") await this.#marks.markUser(uid);
    }
  }
}
