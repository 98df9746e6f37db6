/**
 * The token-set check, composed once: the one owner of how a session's pair
 * is decided, and of what a revoke makes the cache forget.
 *
 * The walk of `check(access, refresh)`:
 * 1. `upstream.validate(access)`: the cache's wrapped validate. Its in-memory
 *    layer is the one fast-path test (a hit answers with no I/O); on a miss
 *    the cache reads the store, then calls the client's validate (below),
 *    which answers a token the upstream rejected lately from the guard, or
 *    else takes a slot of the bounded queue and asks upstream.
 * 2. Valid: `{state: true}`. Invalid with no refresh token: a logout.
 * 3. Invalid: the guard refuses a pair rejected lately and shares concurrent
 *    checks of one pair; the shared run takes a slot, and in it calls the
 *    cache's wrapped refresh (its claim and grace entries are written only by
 *    a request holding a slot), which calls the client's refresh (no second
 *    slot).
 *
 * Crossings between client and cache (calls of a function of the other
 * side) for a browser's `/auth/me` with an expired access token and a good
 * refresh token: `cache.validate` (1), `upstream.validate` (2),
 * `cache.refresh` (3), `upstream.refresh` (4): four, counted by
 * `tests/client_token_set.test.ts`. (The old onion made six such calls, the
 * fast path tested three times on a miss.)
 *
 * What decides a logout ({@linkcode AuthLiteTokenSetError}): the upstream
 * says the access token is invalid and there is no refresh token, or it
 * rejects the refresh token (400/401/403). A 429, 408, 5xx, network error,
 * timeout, open breaker or full queue is `AuthLiteUnavailableError`
 * (try again later, keep the session).
 *
 * @module
 */
import { AuthLiteTokenSetError, unavailableOf } from "../errors.ts";
import { SingleFlight } from "../_single_flight.ts";
import type { TokenCheck, TokenPair, TokenSetUpstream } from "../_types.ts";
import type { TokenSetCacheLike } from "../cache/mod.ts";
import type { TokenSetGuard } from "./_guard.ts";
import { goneError, Interest, type Slots } from "./_slots.ts";
import { revokeTargets } from "./tokens.ts";
import type { RevokeTokenOptions } from "./types.ts";

const FALSE: Promise<boolean> = Promise.resolve(false);

/**
 * What an error of the upstream means to the token-set check: an outage
 * (408, 429, 5xx, network, timeout) becomes `AuthLiteUnavailableError`
 * (with the upstream's `Retry-After` when it gave one); anything else is
 * kept as it is.
 *
 * @param err what the upstream call threw
 * @returns the error to throw
 */
export function asCheckError(err: unknown): unknown {
  return unavailableOf(err) ?? err;
}

/** The upstream operations the check is made of (the client's, or a test's). */
export interface TokenSetOps {
  /** `true` on 2xx, `false` on 401/403; throws on anything else. */
  validate(accessToken: string): Promise<boolean>;
  /** A new pair; throws `AuthLiteTokenSetError` when the refresh token is rejected. */
  refresh(refreshToken: string, accessToken?: string): Promise<TokenPair>;
}

/**
 * The operations as handed to the cache: `validate` answers a token the
 * upstream rejected lately from the guard, else asks upstream in a slot;
 * `refresh` takes no slot (its caller holds one).
 */
function guarded(
  ops: TokenSetOps,
  guard: TokenSetGuard | undefined,
  slots: Slots | undefined,
  interestIn: (access: string) => Interest | undefined,
): TokenSetUpstream {
  return {
    validate: (accessToken) => {
      if (guard?.invalid(accessToken) === true) return FALSE;
      const ask = () => ops.validate(accessToken);
      const asked = slots === undefined ? ask() : slots.run(ask, interestIn(accessToken));
      return guard === undefined ? asked : asked.then((valid) => {
        if (!valid) guard.rememberInvalid(accessToken);
        return valid;
      });
    },
    refresh: (refreshToken, accessToken) => ops.refresh(refreshToken, accessToken),
  };
}

/** Without a cache: concurrent validations of one token share one call. */
function shared(upstream: TokenSetUpstream): TokenSetUpstream {
  const flights = new SingleFlight();
  return {
    validate: (accessToken) => flights.run(accessToken, () => upstream.validate(accessToken)),
    refresh: upstream.refresh,
  };
}

/** What {@linkcode TokenSet} is built from. */
export interface TokenSetParts {
  /** The upstream operations. */
  ops: TokenSetOps;
  /** The token-set cache, if any. */
  cache?: TokenSetCacheLike | undefined;
  /** The memory of rejections and the sharing of checks (none: neither). */
  guard?: TokenSetGuard | undefined;
  /** The bound on upstream calls of the check (none: unbounded). */
  slots?: Slots | undefined;
  /** The upstream revoke, for {@linkcode TokenSet.revoke}. */
  revoke?: ((options: RevokeTokenOptions) => Promise<boolean>) | undefined;
}

/** The token-set check and the revocation policy of one client. */
export class TokenSet {
  #upstream: TokenSetUpstream;
  #cache: TokenSetCacheLike | undefined;
  #guard: TokenSetGuard | undefined;
  #slots: Slots | undefined;
  #revoke: ((options: RevokeTokenOptions) => Promise<boolean>) | undefined;
  /**
   * Callers waiting on the validation of an access token, so that a queued
   * call can leave: the one caller's signal (no allocation on the hot path),
   * or an {@linkcode Interest} once there are several.
   */
  #waiting = new Map<string, AbortSignal | Interest>();

  /** @param parts the upstream operations, the cache, the guard and the slots */
  constructor(parts: TokenSetParts) {
    this.#cache = parts.cache;
    this.#guard = parts.guard;
    this.#slots = parts.slots;
    this.#revoke = parts.revoke;
    const own = guarded(parts.ops, parts.guard, parts.slots, (a) => this.#interestIn(a));
    this.#upstream = parts.cache === undefined ? shared(own) : parts.cache.wrap(own);
  }

  /**
   * Whether an access token is valid (cached, or asked upstream). Errors are
   * the upstream's own, as direct callers know them.
   *
   * @param accessToken the access token
   * @returns whether it is valid
   */
  validate(accessToken: string): Promise<boolean> {
    return this.#upstream.validate(accessToken);
  }

  /**
   * Decide a token pair (see the module's walk).
   *
   * @param access the access token
   * @param refresh the refresh token, if any
   * @param signal aborted when the caller has gone: its queued upstream call leaves the queue
   * @returns `{state, access, refresh}`
   * @throws {AuthLiteTokenSetError} a logout
   * @throws {AuthLiteUnavailableError} the upstream cannot decide now
   */
  check(access: string, refresh: string | undefined, signal?: AbortSignal): Promise<TokenCheck> {
    if (signal?.aborted === true) return Promise.reject(goneError());
    const joined = this.#join(access, signal);
    let valid: Promise<boolean>;
    try {
      valid = this.#upstream.validate(access);
    } catch (err) {
      if (joined) this.#leave(access, signal);
      return Promise.reject(err);
    }
    return valid.then(
      (ok) => {
        if (joined) this.#leave(access, signal);
        if (ok) return { state: true, access, refresh: refresh ?? null };
        return this.#refresh(access, refresh, signal);
      },
      (err) => {
        if (joined) this.#leave(access, signal);
        throw asCheckError(err);
      },
    );
  }

  /**
   * Register a caller waiting on `access`. A caller without a signal is
   * counted only where others wait already (it then keeps the call wanted);
   * alone it needs no entry: a call nobody can abandon never leaves the queue.
   */
  #join(access: string, signal: AbortSignal | undefined): boolean {
    const entry = this.#waiting.get(access);
    if (entry === undefined) {
      if (signal === undefined) return false;
      this.#waiting.set(access, signal);
      return true;
    }
    const interest = entry instanceof Interest ? entry : this.#upgrade(access, entry);
    interest.join(signal);
    return true;
  }

  #leave(access: string, signal: AbortSignal | undefined): void {
    const entry = this.#waiting.get(access);
    if (entry === undefined) return;
    if (entry instanceof Interest) {
      entry.leave(signal);
      if (entry.empty) this.#waiting.delete(access);
    } else if (entry === signal) {
      this.#waiting.delete(access);
    }
  }

  #upgrade(access: string, signal: AbortSignal): Interest {
    const interest = new Interest();
    interest.join(signal);
    this.#waiting.set(access, interest);
    return interest;
  }

  /** Who waits on the validation of `access` (for its queued upstream call). */
  #interestIn(access: string): Interest | undefined {
    const entry = this.#waiting.get(access);
    if (entry === undefined) return undefined;
    return entry instanceof Interest ? entry : this.#upgrade(access, entry);
  }

  #refresh(
    access: string,
    refresh: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<TokenCheck> {
    if (refresh === undefined) {
      throw new AuthLiteTokenSetError("Access token invalid and no refresh token: log in again");
    }
    const run = async (interest?: Interest): Promise<TokenCheck> => {
      const redeem = () => this.#upstream.refresh(refresh, access);
      let pair: TokenPair;
      try {
        pair = await (this.#slots === undefined ? redeem() : this.#slots.run(redeem, interest));
      } catch (err) {
        throw asCheckError(err);
      }
      return { state: false, access: pair.accessToken, refresh: pair.refreshToken };
    };
    return this.#guard === undefined ? run() : this.#guard.check(access, refresh, run, signal);
  }

  /**
   * Revoke tokens upstream, then make the cache forget them (also after a
   * failure: a cached "valid" must not outlive a revoke).
   *
   * @param options the token(s) to revoke
   * @returns whether the upstream revoked them
   */
  async revoke(options: RevokeTokenOptions): Promise<boolean> {
    const { accessToken, refreshToken, revokeAllTokens } = revokeTargets(options);
    if (this.#revoke === undefined) throw new Error("No revoke operation");
    let revoked = false;
    try {
      revoked = await this.#revoke(options);
      return revoked;
    } finally {
      const cache = this.#cache;
      if (cache !== undefined && revokeAllTokens) {
        // Upstream revoked every token of the user of the one token it was sent
        // (the access token when both are given): only that user is signed out
        // everywhere. The other token proves nothing (it may be anyone's, or forged).
        const sent = accessToken ?? (refreshToken as string);
        await cache.forget([sent], { all: true, confirmed: revoked });
        if (accessToken !== undefined && refreshToken !== undefined) {
          await cache.forget([refreshToken]);
        }
      } else if (cache !== undefined) {
        await cache.forget(
          [accessToken, refreshToken].filter((t): t is string => t !== undefined),
          { confirmed: revoked },
        );
      }
    }
  }

  /**
   * A role assignment with sign-off revoked every session of the user
   * upstream (the tokens given are theirs: the upstream checked): the cache
   * must not serve them.
   *
   * @param tokens the user's tokens given with the sign-off
   */
  async signedOff(tokens: ReadonlyArray<string | undefined>): Promise<void> {
    await this.#cache?.forget(
      tokens.filter((t): t is string => typeof t === "string"),
      { all: true, confirmed: true },
    );
  }
}
