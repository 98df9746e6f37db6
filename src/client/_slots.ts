/**
 * Upstream calls in flight, bounded, with a bounded queue: a call waits for
 * a free slot in a queue of at most `maxQueue`; when the queue is full it is
 * refused at once with `ERR_UNAVAILABLE` (`capacity`). A queued call whose
 * callers have all gone (their `AbortSignal`s aborted) leaves the queue and
 * is never sent.
 *
 * Not cockatiel's `bulkhead`: it keeps an aborted waiter in its queue until
 * that waiter's turn comes (the slot is then skipped, but the queue place is
 * held meanwhile), and cockatiel does not start in workerd (see `_breaker.ts`).
 *
 * @module
 */
import { AuthLiteUnavailableError } from "../errors.ts";

/**
 * The callers waiting for one upstream call (several when concurrent checks
 * share it): gone when each of them brought a signal and every signal has
 * aborted. A caller without a signal keeps the call wanted.
 */
export class Interest {
  #unsignalled = 0;
  #signals: Map<AbortSignal, number> | null = null;
  #watchers: Set<() => void> | null = null;
  #onAbort: (() => void) | null = null;

  /** Whether every caller has gone. */
  get gone(): boolean {
    if (this.#unsignalled > 0 || this.#signals === null || this.#signals.size === 0) return false;
    for (const signal of this.#signals.keys()) if (!signal.aborted) return false;
    return true;
  }

  /** Whether no caller is left at all (joined and left). */
  get empty(): boolean {
    return this.#unsignalled === 0 && (this.#signals === null || this.#signals.size === 0);
  }

  /**
   * A caller joins; it calls {@linkcode Interest.leave} with the same signal
   * when it stops waiting.
   *
   * @param signal the caller's signal, if any
   */
  join(signal: AbortSignal | undefined): void {
    if (signal === undefined) {
      this.#unsignalled++;
      return;
    }
    this.#signals ??= new Map();
    const n = this.#signals.get(signal) ?? 0;
    this.#signals.set(signal, n + 1);
    // Listeners only while somebody watches (a queued call): none on the hot path.
    if (n === 0 && this.#onAbort !== null) signal.addEventListener("abort", this.#onAbort);
  }

  /**
   * A caller that joined with `signal` stops waiting.
   *
   * @param signal the signal it joined with
   */
  leave(signal: AbortSignal | undefined): void {
    if (signal === undefined) {
      this.#unsignalled--;
      return;
    }
    const left = (this.#signals?.get(signal) ?? 1) - 1;
    if (left > 0) {
      this.#signals?.set(signal, left);
      return;
    }
    this.#signals?.delete(signal);
    if (this.#onAbort !== null) signal.removeEventListener("abort", this.#onAbort);
  }

  /**
   * Call `watcher` when every caller has gone.
   *
   * @param watcher what to do then
   * @returns stop watching
   */
  watch(watcher: () => void): () => void {
    const watchers = this.#watchers ??= new Set();
    if (this.#onAbort === null) {
      const onAbort = (): void => {
        if (!this.gone) return;
        for (const w of [...watchers]) w();
      };
      this.#onAbort = onAbort;
      for (const signal of this.#signals?.keys() ?? []) {
        signal.addEventListener("abort", onAbort);
      }
    }
    watchers.add(watcher);
    return () => {
      watchers.delete(watcher);
      const onAbort = this.#onAbort;
      if (watchers.size > 0 || onAbort === null) return;
      for (const signal of this.#signals?.keys() ?? []) {
        signal.removeEventListener("abort", onAbort);
      }
      this.#onAbort = null;
    };
  }
}

/** Settings of {@linkcode Slots}. */
export interface SlotsOptions {
  /** Calls in flight at once (at least 1). */
  maxInFlight: number;
  /** Calls waiting at most (0: none wait; a call finding every slot taken is refused). */
  maxQueue: number;
  /** Told when a call is refused because the queue is full. */
  onFull?: () => void;
}

interface Waiter {
  start: () => void;
  fail: (err: unknown) => void;
}

/** The error of a caller that has gone. */
export function goneError(): AuthLiteUnavailableError {
  return new AuthLiteUnavailableError("capacity", "The caller has gone", 1);
}

/** At most `maxInFlight` calls at once, at most `maxQueue` waiting. */
export class Slots {
  #options: SlotsOptions;
  #active = 0;
  /** Insertion order is arrival order; a waiter that leaves is deleted in O(1). */
  #queue = new Set<Waiter>();

  /** @param options the bounds */
  constructor(options: SlotsOptions) {
    this.#options = options;
  }

  /** Calls running now. */
  get active(): number {
    return this.#active;
  }

  /** Calls waiting now. */
  get waiting(): number {
    return this.#queue.size;
  }

  /**
   * Run `fn` in a slot, after waiting in the queue if every slot is taken.
   *
   * @param fn the upstream call
   * @param interest who waits for it; when they have all gone it leaves the queue
   * @returns what `fn` answers
   * @throws {AuthLiteUnavailableError} `capacity` at once when the queue is full, or
   *   when every caller has gone before a slot came
   */
  async run<T>(fn: () => Promise<T>, interest?: Interest): Promise<T> {
    if (interest?.gone === true) throw goneError();
    if (this.#active < this.#options.maxInFlight) {
      this.#active++;
    } else {
      await this.#wait(interest);
    }
    try {
      return await fn();
    } finally {
      this.#release();
    }
  }

  #wait(interest: Interest | undefined): Promise<void> {
    if (this.#queue.size >= this.#options.maxQueue) {
      this.#options.onFull?.();
      return Promise.reject(
        new AuthLiteUnavailableError("capacity", "Too many upstream calls waiting", 1),
      );
    }
    return new Promise<void>((resolve, reject) => {
      let unwatch = (): void => {};
      const waiter: Waiter = {
        // The releasing call hands its slot over: `#active` stays as it is.
        start: () => {
          unwatch();
          resolve();
        },
        fail: (err) => {
          unwatch();
          reject(err);
        },
      };
      this.#queue.add(waiter);
      if (interest !== undefined) {
        unwatch = interest.watch(() => {
          if (this.#queue.delete(waiter)) waiter.fail(goneError());
        });
      }
    });
  }

  #release(): void {
    for (const waiter of this.#queue) {
      this.#queue.delete(waiter);
      waiter.start();
      return;
    }
    this.#active--;
  }
}
