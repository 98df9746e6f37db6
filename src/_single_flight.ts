/**
 * Single-flight: concurrent calls with one key share one execution (the
 * cache's validations and refreshes, the client's validations without a
 * cache, its role reads and its guarded token-set checks).
 *
 * @module
 */

/** Runs at most one `fn` per key at a time; later callers share its result. */
export class SingleFlight {
  #flights = new Map<string, Promise<unknown>>();

  /** Calls in flight. */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * The call running under `key`, if any.
   *
   * @param key the key
   * @returns its promise, or `undefined`
   */
  get(key: string): Promise<unknown> | undefined {
    return this.#flights.get(key);
  }

  /**
   * Run `fn` under `key`, or join the call already running under it.
   *
   * @param key the key
   * @param fn the call
   * @returns what the shared call answers
   */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const current = this.#flights.get(key);
    if (current !== undefined) return current as Promise<T>;
    let promise: Promise<T> | undefined = undefined;
    promise = (async () => {
      // Yield once so the flight is registered before fn runs (and before it can settle).
      await null;
      try {
        return await fn();
      } finally {
        if (this.#flights.get(key) === promise) this.#flights.delete(key);
      }
    })();
    this.#flights.set(key, promise);
    return promise;
  }

  /**
   * Let later callers of `key` start a call of their own (the one running goes on).
   *
   * @param key the key
   */
  drop(key: string): void {
    this.#flights.delete(key);
  }
}
