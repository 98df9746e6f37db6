/**
 * The one guarded store call, used by the token-set cache and the role marks:
 * a bound on time (none for a store in this process), failures turned into a
 * result instead of an exception, counted, reported and observed, and one
 * retry policy for the writes other instances must see.
 *
 * @module
 */
import type { KVStore } from "./store.ts";
import { Breaker } from "../_breaker.ts";
import { type AuthLiteObserver, emit } from "../_events.ts";

/** A store operation, as events and reports name it. */
export type StoreOperation = "get" | "getMany" | "put" | "delete" | "putIfAbsent";

/** Why a store call gave no answer (`rejected-open`: refused at once by the open breaker). */
export type StoreFailure = "error" | "timeout" | "rejected-open";

/** The answer of a guarded call: the store's value, or why there is none. */
export type StoreResult<T> = { ok: true; value: T } | { ok: false; reason: StoreFailure };

/** What {@linkcode GuardedStore} reports to its `onFailure` hook. */
export interface StoreFailureReport {
  /** `get` for any read, one key or several (`onError` has always named reads so). */
  operation: Exclude<StoreOperation, "getMany">;
  reason: StoreFailure | "garbage";
  /** The store's own error, when `reason` is `error`. */
  error?: unknown;
}

/** Options of {@linkcode GuardedStore}. */
export interface GuardedStoreOptions {
  /** Bound on each call of a remote store, ms. */
  timeoutMs: number;
  /** Clock for `startedAt` (ms). */
  now: () => number;
  observe?: AuthLiteObserver | undefined;
  /** Told of every failure; what it throws is ignored. */
  onFailure?: ((report: StoreFailureReport) => void) | undefined;
  /** The circuit breaker of a remote store (default: 5 failures in a row, 1 s open); `false`: none. */
  breaker?: StoreBreakerOptions | false | undefined;
}

/** The store's circuit breaker (see `../_breaker.ts`). */
export interface StoreBreakerOptions {
  /** Failures in a row that open the circuit (default 5). */
  failures?: number;
  /** How long the circuit stays open before one probe call, ms (default 1000). */
  halfOpenAfterMs?: number;
}

const TIMEOUT: unique symbol = Symbol("timeout");
/** A write that must land is tried at once, then after these delays, ms. */
const RETRY_DELAYS_MS = [50, 200];
/** Then, for the writes that may go on without the caller, in the background until this, ms. */
const BACKGROUND_UNTIL_MS = 32_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Let the process exit with this timer pending (Deno, Node, Bun); a no-op elsewhere. */
function unref(timer: ReturnType<typeof setTimeout>): void {
  const t = timer as unknown as { unref?: () => void } | number;
  if (typeof t === "object" && typeof t.unref === "function") {
    t.unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof t === "number") deno?.unrefTimer?.(t);
}

/** A {@linkcode KVStore} whose calls never throw: each answers a {@linkcode StoreResult}. */
export class GuardedStore {
  readonly store: KVStore;
  /** A store of this process (declared by the store): no timer per call. */
  readonly local: boolean;
  /** Failures so far. */
  readonly failures: { errors: number; timeouts: number; rejected: number } = {
    errors: 0,
    timeouts: 0,
    rejected: 0,
  };
  #breaker: Breaker | null;
  #timeoutMs: number;
  #now: () => number;
  #observe: AuthLiteObserver | undefined;
  #onFailure: ((report: StoreFailureReport) => void) | undefined;

  constructor(store: KVStore, options: GuardedStoreOptions) {
    this.store = store;
    this.local = store.local === true;
    this.#timeoutMs = options.timeoutMs;
    this.#now = options.now;
    this.#observe = options.observe;
    this.#onFailure = options.onFailure;
    const observe = options.observe;
    // On the real clock: the store recovers in real time, whatever clock the cache is given.
    this.#breaker = this.local || options.breaker === false ? null : new Breaker({
      failures: options.breaker?.failures ?? 5,
      openMs: options.breaker?.halfOpenAfterMs ?? 1000,
      now: () => performance.now(),
      onChange: (state) => emit(observe, { type: "breaker", name: "store", state }),
    });
  }

  /** How long until the store is worth another try, ms (0 when the breaker is closed). */
  retryAfterMs(): number {
    return this.#breaker?.retryAfterMs() ?? 0;
  }

  get(key: string): Promise<StoreResult<string | null>> {
    return this.call("get", (s) => s.get(key));
  }

  /**
   * The values under `keys`: one call where the store has `getMany`, else
   * one `get` per key, in parallel (each a result of its own).
   */
  async getMany(keys: readonly string[]): Promise<StoreResult<string | null>[]> {
    const store = this.store;
    if (keys.length === 1 || store.getMany === undefined) {
      return await Promise.all(keys.map((key) => this.get(key)));
    }
    const many = await this.call("getMany", (s) => s.getMany!(keys));
    return keys.map((_, i) => many.ok ? { ok: true, value: many.value[i] ?? null } : many);
  }

  put(key: string, value: string, ttlSeconds: number): Promise<StoreResult<void>> {
    return this.call("put", (s) => s.put(key, value, { ttlSeconds }));
  }

  delete(key: string): Promise<StoreResult<void>> {
    return this.call("delete", (s) => s.delete(key));
  }

  /** `undefined` when the store has no atomic claim. */
  putIfAbsent(
    key: string,
    value: string,
    ttlSeconds: number,
  ): Promise<StoreResult<boolean>> | undefined {
    const store = this.store;
    if (store.putIfAbsent === undefined) return undefined;
    return this.call("putIfAbsent", (s) => s.putIfAbsent!(key, value, { ttlSeconds }));
  }

  /** One call of the store, bounded and observed; never throws. */
  async call<T>(
    operation: StoreOperation,
    fn: (store: KVStore) => Promise<T>,
  ): Promise<StoreResult<T>> {
    const observed = this.#observe !== undefined;
    const startedAt = observed ? this.#now() : 0;
    const t0 = observed ? performance.now() : 0;
    const result = await this.#bounded(fn);
    if (observed) {
      emit(this.#observe, {
        type: "store",
        operation,
        outcome: result.ok ? "ok" : result.reason,
        durationMs: performance.now() - t0,
        startedAt,
      });
    }
    if (result.ok) return result;
    if (result.reason === "timeout") {
      this.failures.timeouts++;
      this.#report({ operation, reason: "timeout" });
    } else if (result.reason === "rejected-open") {
      this.failures.rejected++;
      this.#report({ operation, reason: "rejected-open" });
    } else {
      this.failures.errors++;
      this.#report({ operation, reason: "error", error: result.error });
    }
    return { ok: false, reason: result.reason };
  }

  /** A value the store returned that is not ours: reported, and observed as a failed read. */
  garbage(operation: StoreOperation): void {
    emit(this.#observe, {
      type: "store",
      operation,
      outcome: "garbage",
      durationMs: 0,
      startedAt: this.#now(),
    });
    this.#report({ operation, reason: "garbage" });
  }

  /**
   * A write other instances must see (a revoke, a refreshed pair, a role
   * mark): tried at once, then twice more (50 ms, 200 ms later) while the
   * caller waits. With `background`, for a write that only ever refuses
   * (a tombstone, a watermark, a mark), it goes on being tried after that
   * without the caller, with doubling delays, for about half a minute: the
   * store may be back in a moment. A write that vouches for a token (a valid
   * entry) is never retried behind the caller's back, where a revoke may
   * have overtaken it.
   *
   * @returns whether the store took it while the caller waited
   */
  async persist(attempt: () => Promise<boolean>, background = false): Promise<boolean> {
    if (await attempt()) return true;
    for (const delay of RETRY_DELAYS_MS) {
      await sleep(delay);
      if (await attempt()) return true;
    }
    if (background) {
      let delay = 250;
      const retry = () => {
        void attempt().then((ok) => {
          if (ok || delay > BACKGROUND_UNTIL_MS) return;
          delay *= 2;
          unref(setTimeout(retry, delay));
        });
      };
      unref(setTimeout(retry, delay));
    }
    return false;
  }

  async #bounded<T>(
    fn: (store: KVStore) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; reason: StoreFailure; error?: unknown }> {
    // In process: no timer (a timer per call costs more than the call), no breaker.
    if (this.local) {
      try {
        return { ok: true, value: await fn(this.store) };
      } catch (error) {
        return { ok: false, reason: "error", error };
      }
    }
    const breaker = this.#breaker;
    if (breaker !== null && !breaker.admit()) return { ok: false, reason: "rejected-open" };
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const work = Promise.resolve().then(() => fn(this.store));
      work.catch(() => {});
      const timeout = new Promise<typeof TIMEOUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMEOUT), this.#timeoutMs);
      });
      const value = await Promise.race([work, timeout]);
      if (value === TIMEOUT) {
        breaker?.failure();
        return { ok: false, reason: "timeout" };
      }
      breaker?.success();
      return { ok: true, value };
    } catch (error) {
      breaker?.failure();
      return { ok: false, reason: "error", error };
    } finally {
      clearTimeout(timer);
    }
  }

  #report(report: { operation: StoreOperation } & Omit<StoreFailureReport, "operation">): void {
    if (this.#onFailure === undefined) return;
    const operation = report.operation === "getMany" ? "get" : report.operation;
    try {
      this.#onFailure({ ...report, operation });
    } catch {
      // A failing hook must not turn a cache miss into a failed call.
    }
  }
}
