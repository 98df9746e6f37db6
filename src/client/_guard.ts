/**
 * The guard of the token-set check against bogus sessions: what the upstream
 * rejected is remembered for a short while (keyed by a MAC under a
 * per-process random key, never the tokens), and concurrent checks of one
 * pair share one run. Two memories, bounded, the oldest forgotten first:
 * - access tokens the upstream said are invalid (a validation answered 401/403);
 * - token pairs whose refresh token the upstream rejected (400/401/403).
 * Only a real rejection is remembered: a 429, 5xx, timeout, network error,
 * open breaker or full queue is not (the session is undecided, not bogus).
 *
 * @module
 */
import { BoundedMap } from "../_bounded_map.ts";
import { HmacSha256, toHex } from "../_hmac.ts";
import { SingleFlight } from "../_single_flight.ts";
import { AuthLiteTokenSetError } from "../errors.ts";
import type { TokenCheck } from "../_types.ts";
import { goneError, Interest } from "./_slots.ts";

/** Settings of {@linkcode TokenSetGuard}. */
export interface TokenSetGuardOptions {
  /** Clock in milliseconds. */
  now: () => number;
  /** How long a rejection is remembered (default 30 s). */
  rejectionTtlMs?: number;
  /** How many rejections are remembered at most, of each kind (default 10 000; the oldest go first). */
  maxRejections?: number;
}

/** Remembers rejected tokens and pairs, shares concurrent checks of one pair. */
export class TokenSetGuard {
  #mac = new HmacSha256(crypto.getRandomValues(new Uint8Array(32)));
  #now: () => number;
  #ttl: number;
  /** Rejections, bounded, each until it is forgotten (ms). */
  #pairs: BoundedMap<string, true>;
  #tokens: BoundedMap<string, true>;
  #flights = new SingleFlight();
  /** The callers of each check in flight. */
  #interests = new WeakMap<Promise<unknown>, Interest>();

  /** @param options the clock and the bounds */
  constructor(options: TokenSetGuardOptions) {
    this.#now = options.now;
    this.#ttl = options.rejectionTtlMs ?? 30_000;
    const max = options.maxRejections ?? 10_000;
    this.#pairs = new BoundedMap(max, { now: options.now });
    this.#tokens = new BoundedMap(max, { now: options.now });
  }

  /**
   * Whether the upstream said lately that this access token is invalid.
   *
   * @param access the access token
   * @returns `true` when a rejection is remembered
   */
  invalid(access: string): boolean {
    return this.#tokens.has(this.#tokenKey(access));
  }

  /**
   * Remember that the upstream said this access token is invalid.
   *
   * @param access the access token
   */
  rememberInvalid(access: string): void {
    this.#tokens.set(this.#tokenKey(access), true, this.#now() + this.#ttl);
  }

  /**
   * Run the check of a token pair: refused at once if the pair was rejected
   * lately, shared with a check of the same pair already running. A
   * rejection (`AuthLiteTokenSetError`) is remembered; nothing else is.
   *
   * @param access the access token
   * @param refresh the refresh token, if any
   * @param run the check; `interest` says when every caller sharing it has gone
   * @param signal the caller's signal, if any
   * @returns what `run` answers
   * @throws {AuthLiteTokenSetError} when the pair is (or was lately) rejected
   */
  check(
    access: string,
    refresh: string | undefined,
    run: (interest: Interest) => Promise<TokenCheck>,
    signal?: AbortSignal,
  ): Promise<TokenCheck> {
    if (signal?.aborted === true) return Promise.reject(goneError());
    const key = toHex(this.#mac.sign(`${access.length}:${access}\n${refresh ?? ""}`));
    if (this.#pairs.has(key)) {
      return Promise.reject(
        new AuthLiteTokenSetError("Token set rejected moments ago: log in again"),
      );
    }
    let promise = this.#flights.get(key) as Promise<TokenCheck> | undefined;
    let interest = promise === undefined ? undefined : this.#interests.get(promise);
    if (promise === undefined || interest === undefined) {
      const fresh = new Interest();
      promise = this.#flights.run(key, async () => {
        try {
          return await run(fresh);
        } catch (err) {
          if (err instanceof AuthLiteTokenSetError) {
            this.#pairs.set(key, true, this.#now() + this.#ttl);
          }
          throw err;
        }
      });
      this.#interests.set(promise, fresh);
      interest = fresh;
    }
    const joined = interest;
    joined.join(signal);
    return promise.finally(() => joined.leave(signal));
  }

  #tokenKey(access: string): string {
    return toHex(this.#mac.sign(`a:${access}`));
  }
}
