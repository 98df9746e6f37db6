/**
 * The circuit breaker on upstream calls: after `failures` outages in a row
 * (network error, timeout, 408, 429, 5xx) it opens, and every call fails at
 * once with `ERR_UNAVAILABLE` for `openMs`; then one call goes through as a
 * probe (the others still fail fast): its success closes the breaker, its
 * failure opens it again.
 *
 * Hand-written, not cockatiel's `circuitBreaker`: cockatiel 4 builds an
 * `AbortController` at module scope (`dist/common/abort.js`), which workerd
 * refuses ("Disallowed operation called within global scope"), so a Worker
 * bundling it fails at start-up (tried under Miniflare; it runs on Node,
 * Deno and Bun). Its breaker also reads `Date.now()` (no injected clock) and
 * makes the callers that arrive while a probe runs wait for the probe.
 *
 * @module
 */
import { AuthLiteHttpError, AuthLiteNetworkError, AuthLiteUnavailableError } from "../errors.ts";

/** The state of a {@linkcode Breaker}. */
export type BreakerState = "closed" | "open" | "half-open";

/** Settings of {@linkcode Breaker}. */
export interface BreakerOptions {
  /** Outages in a row that open it. */
  failures: number;
  /** How long it stays open before a probe, in milliseconds. */
  openMs: number;
  /** Clock in milliseconds. */
  now: () => number;
  /** Told of every change of state. */
  onChange?: (state: BreakerState) => void;
}

/** Whether `err` says the upstream is down or overloaded (what opens the breaker). */
export function isOutage(err: unknown): boolean {
  if (err instanceof AuthLiteNetworkError) return true;
  if (err instanceof AuthLiteHttpError) {
    return err.status === 408 || err.status === 429 || err.status >= 500;
  }
  return false;
}

/** A consecutive-failure circuit breaker with an injected clock. */
export class Breaker {
  #options: BreakerOptions;
  #state: BreakerState = "closed";
  #failures = 0;
  #openUntil = 0;
  #probing = false;

  /** @param options the threshold, the open time and the clock */
  constructor(options: BreakerOptions) {
    this.#options = options;
  }

  /** The current state (an open breaker past its time reads `open` until a call probes). */
  get state(): BreakerState {
    return this.#state;
  }

  /**
   * Run `fn` unless the breaker is open; record whether it was an outage.
   *
   * @param fn one upstream call
   * @param failed whether an answer of `fn` is an outage all the same (say, a 503 reply)
   * @returns what `fn` answers
   * @throws {AuthLiteUnavailableError} `upstream`, at once, while the breaker is open
   */
  async run<T>(fn: () => Promise<T>, failed: (value: T) => boolean = () => false): Promise<T> {
    this.#admit();
    const probe = this.#state === "half-open";
    let outage = false;
    try {
      const value = await fn();
      outage = failed(value);
      return value;
    } catch (err) {
      outage = isOutage(err);
      throw err;
    } finally {
      if (probe) this.#probing = false;
      if (outage) this.#failure();
      else this.#success();
    }
  }

  #admit(): void {
    if (this.#state === "closed") return;
    const now = this.#options.now();
    if (this.#state === "open" && now >= this.#openUntil) {
      this.#set("half-open");
    }
    if (this.#state === "half-open" && !this.#probing) {
      this.#probing = true;
      return;
    }
    const wait = this.#state === "open" ? this.#openUntil - now : this.#options.openMs;
    throw new AuthLiteUnavailableError("upstream", "Circuit breaker open", wait / 1000);
  }

  #success(): void {
    this.#failures = 0;
    if (this.#state !== "closed") this.#set("closed");
  }

  #failure(): void {
    this.#failures++;
    if (this.#state === "half-open" || this.#failures >= this.#options.failures) {
      this.#openUntil = this.#options.now() + this.#options.openMs;
      if (this.#state !== "open") this.#set("open");
    }
  }

  #set(state: BreakerState): void {
    this.#state = state;
    this.#options.onChange?.(state);
  }
}
