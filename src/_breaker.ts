/**
 * The circuit breaker of the package (the client's upstream calls, the
 * cache's store calls): after `failures` failures in a row it opens, and
 * every call is refused at once for `openMs`; then one probe call goes
 * through (half-open) while the others are still refused, and the probe's
 * answer closes or reopens it. What counts as a failure, and what a refused
 * caller is told, is the caller's.
 *
 * Hand-written, not cockatiel's `circuitBreaker`: cockatiel 4 builds an
 * `AbortController` at module scope (`dist/common/abort.js`), which workerd
 * refuses ("Disallowed operation called within global scope"), so a Worker
 * bundling it fails at start-up. Its breaker also reads `Date.now()` (no
 * injected clock), and in its half-open state every concurrent call waits for
 * the probe's answer, where a call should be refused at once.
 *
 * @module
 */

/** The state of a breaker, as events name it. */
export type BreakerState = "closed" | "open" | "half-open";

/** Settings of {@linkcode Breaker}. */
export interface BreakerOptions {
  /** Failures in a row that open it. */
  failures: number;
  /** How long it stays open before one probe call, ms. */
  openMs: number;
  /** Clock in milliseconds. */
  now: () => number;
  /** Told of every change of state. */
  onChange?: ((state: BreakerState) => void) | undefined;
}

/** Opens after failures in a row; lets one probe through after a while. */
export class Breaker {
  #state: BreakerState = "closed";
  #failures = 0;
  #openedAt = 0;
  #options: BreakerOptions;

  /** @param options the threshold, the open time, the clock */
  constructor(options: BreakerOptions) {
    this.#options = options;
  }

  /** How long it stays open before a probe, ms. */
  get openMs(): number {
    return this.#options.openMs;
  }

  /** The current state (an open breaker past its time reads `open` until a call probes). */
  get state(): BreakerState {
    return this.#state;
  }

  /**
   * Whether a call may go now; the caller then reports its outcome with
   * {@linkcode Breaker.success} or {@linkcode Breaker.failure}.
   *
   * @returns `false`: refuse the call at once
   */
  admit(): boolean {
    if (this.#state === "closed") return true;
    if (this.#state === "half-open") return false; // the probe is out
    if (this.#options.now() - this.#openedAt < this.#options.openMs) return false;
    this.#set("half-open");
    return true;
  }

  /** A call answered. */
  success(): void {
    this.#failures = 0;
    if (this.#state !== "closed") this.#set("closed");
  }

  /** A call failed. */
  failure(): void {
    this.#failures++;
    if (this.#state === "half-open" || this.#failures >= this.#options.failures) {
      this.#openedAt = this.#options.now();
      if (this.#state !== "open") this.#set("open");
    }
  }

  /**
   * When the breaker lets a probe through, ms from now.
   *
   * @returns 0 when closed, half-open, or open past its time
   */
  retryAfterMs(): number {
    if (this.#state !== "open") return 0;
    return Math.max(0, this.#openedAt + this.#options.openMs - this.#options.now());
  }

  #set(state: BreakerState): void {
    this.#state = state;
    this.#options.onChange?.(state);
  }
}
