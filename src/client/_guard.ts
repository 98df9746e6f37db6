/**
 * A guard around the token-set check against bogus sessions: a rejected
 * token pair is remembered for a short while (keyed by a MAC of the pair
 * under a per-process random key, never the tokens), concurrent checks of one
 * pair share one run, and the upstream calls of the check (validate,
 * refresh) in flight at once are bounded per client. Without it, every
 * request with one bogus cookie pair cost a validate and a refresh upstream.
 *
 * @module
 */
import { HmacSha256 } from "../_hmac.ts";
import { AuthLiteTokenSetError } from "../errors.ts";
import type { TokenSetUpstream } from "../cache/mod.ts";
import type { TokenCheck } from "./types.ts";

/** Settings of {@linkcode TokenSetGuard}. */
export interface TokenSetGuardOptions {
  /** Clock in milliseconds. */
  now: () => number;
  /** How long a rejection is remembered (default 30 s). */
  rejectionTtlMs?: number;
  /** How many rejections are remembered at most (default 10 000; the oldest go first). */
  maxRejections?: number;
  /** Upstream calls of the check in flight at once (default 32); more wait their turn. */
  maxInFlight?: number;
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Remembers rejected token pairs, shares concurrent checks, bounds upstream calls. */
export class TokenSetGuard {
  #mac = new HmacSha256(crypto.getRandomValues(new Uint8Array(32)));
  #now: () => number;
  #ttl: number;
  #maxRejections: number;
  #maxInFlight: number;
  #rejected = new Map<string, number>();
  #pending = new Map<string, Promise<TokenCheck>>();
  #active = 0;
  #waiting: Array<() => void> = [];

  /** @param options the clock and the bounds */
  constructor(options: TokenSetGuardOptions) {
    this.#now = options.now;
    this.#ttl = options.rejectionTtlMs ?? 30_000;
    this.#maxRejections = options.maxRejections ?? 10_000;
    this.#maxInFlight = options.maxInFlight ?? 32;
  }

  /**
   * `upstream` with its calls bounded in flight.
   *
   * @param upstream the validate and refresh calls
   * @returns the same calls, at most `maxInFlight` at once
   */
  bound(upstream: TokenSetUpstream): TokenSetUpstream {
    return {
      validate: (accessToken) => this.#slot(() => upstream.validate(accessToken)),
      refresh: (refreshToken, accessToken) =>
        this.#slot(() => upstream.refresh(refreshToken, accessToken)),
    };
  }

  /**
   * Run the check of a token pair: refused at once if the pair was rejected
   * lately, shared with a check of the same pair already running.
   *
   * @param access the access token
   * @param refresh the refresh token, if any
   * @param run the check
   * @returns what `run` answers
   * @throws {AuthLiteTokenSetError} when the pair is (or was lately) rejected
   */
  check(
    access: string,
    refresh: string | undefined,
    run: () => Promise<TokenCheck>,
  ): Promise<TokenCheck> {
    const key = hex(this.#mac.sign(`${access.length}:${access}\n${refresh ?? ""}`));
    const until = this.#rejected.get(key);
    if (until !== undefined) {
      if (until > this.#now()) {
        return Promise.reject(
          new AuthLiteTokenSetError("Token set rejected moments ago: log in again"),
        );
      }
      this.#rejected.delete(key);
    }
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending;
    const promise = (async () => {
      try {
        return await run();
      } catch (err) {
        if (err instanceof AuthLiteTokenSetError) this.#reject(key);
        throw err;
      } finally {
        this.#pending.delete(key);
      }
    })();
    this.#pending.set(key, promise);
    return promise;
  }

  #reject(key: string): void {
    this.#rejected.delete(key);
    this.#rejected.set(key, this.#now() + this.#ttl);
    while (this.#rejected.size > this.#maxRejections) {
      const oldest = this.#rejected.keys().next().value;
      if (oldest === undefined) break;
      this.#rejected.delete(oldest);
    }
  }

  async #slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active < this.#maxInFlight) {
      this.#active++;
    } else {
      // The releasing call hands its slot over: `#active` stays as it is.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#active--;
    }
  }
}
