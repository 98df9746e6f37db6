/**
 * Single-flight: concurrent calls with one key share one execution.
 *
 * @module
 */

interface Flight {
  epoch: number;
  promise: Promise<unknown>;
}

/** Runs at most one `fn` per key at a time; later callers share its result. */
export class SingleFlight {
  #flights = new Map<string, Flight>();

  /** Calls in flight. */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * Run `fn` under `key`, or join the call already running under it. A call
   * started in an older `epoch` (before a `forget`) is not joined.
   */
  run<T>(key: string, epoch: number, fn: () => Promise<T>): Promise<T> {
    const current = this.#flights.get(key);
    if (current !== undefined && current.epoch === epoch) return current.promise as Promise<T>;
    const flight: Flight = { epoch, promise: Promise.resolve() };
    const promise = (async () => {
      // Yield once so the flight is registered before fn runs (and before it can settle).
      await null;
      try {
        return await fn();
      } finally {
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      }
    })();
    flight.promise = promise;
    this.#flights.set(key, flight);
    return promise;
  }
}
