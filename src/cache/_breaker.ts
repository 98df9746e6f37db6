/**
 * A circuit breaker for store calls: after `failures` failures in a row the
 * store is not called for `halfOpenAfterMs`, every call refused at once; then
 * one probe call goes through (half-open) while the others are still refused,
 * and its answer closes or reopens the circuit.
 *
 * Not cockatiel's (which runs on Deno, Bun and workerd alike): in its
 * half-open state every concurrent call waits for the probe's answer, up to
 * the store timeout, where a store call should be refused at once; and it
 * reads `Date.now()` where the cache can pass its own clock. Forty lines.
 *
 * @module
 */

/** The state of a breaker, as events name it. */
export type BreakerState = "closed" | "open" | "half-open";

/** Options of {@linkcode Breaker}. */
export interface BreakerOptions {
  /** Failures in a row that open the circuit (default 5). */
  failures?: number;
  /** How long the circuit stays open before one probe call, ms (default 1000). */
  halfOpenAfterMs?: number;
}

/** Opens after failures in a row; lets one probe through after a while. */
export class Breaker {
  #state: BreakerState = "closed";
  #failures = 0;
  #openedAt = 0;
  #threshold: number;
  #halfOpenAfterMs: number;
  #clock: () => number;
  #onChange: (state: BreakerState) => void;

  constructor(
    options: BreakerOptions,
    clock: () => number,
    onChange: (state: BreakerState) => void,
  ) {
    this.#threshold = options.failures ?? 5;
    this.#halfOpenAfterMs = options.halfOpenAfterMs ?? 1000;
    this.#clock = clock;
    this.#onChange = onChange;
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** Whether a call may go now; `false`: refuse it at once. */
  admit(): boolean {
    if (this.#state === "closed") return true;
    if (this.#state === "half-open") return false; // the probe is out
    if (this.#clock() - this.#openedAt < this.#halfOpenAfterMs) return false;
    this.#set("half-open");
    return true;
  }

  /** The call answered. */
  success(): void {
    this.#failures = 0;
    if (this.#state !== "closed") this.#set("closed");
  }

  /** The call failed (threw or timed out). */
  failure(): void {
    this.#failures++;
    if (this.#state === "half-open" || this.#failures >= this.#threshold) {
      this.#openedAt = this.#clock();
      if (this.#state !== "open") this.#set("open");
    }
  }

  /** When a refused caller may try again, ms (0 when closed). */
  retryAfterMs(): number {
    if (this.#state === "closed") return 0;
    return Math.max(0, this.#openedAt + this.#halfOpenAfterMs - this.#clock());
  }

  #set(state: BreakerState): void {
    this.#state = state;
    this.#onChange(state);
  }
}
