/**
 * The figures of `GET /admin/status`, kept from the events in constant memory:
 * since start, and over the last minute (sixty one-second slots). Latencies go
 * into log-scale buckets (15 % wide), so p50 and p99 are within 15 %.
 *
 * @module
 */
import type { AuthLiteEvent } from "../_events.ts";

const BUCKETS = 120;
const BASE_MS = 0.05;
const RATIO = 1.15;
const LOG_RATIO = Math.log(RATIO);

function bucketOf(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log(ms / BASE_MS) / LOG_RATIO) + 1);
}

/** Counts of one slot (or of the whole run). */
class Figures {
  cacheHits = 0;
  cacheMisses = 0;
  upstreamCalls = 0;
  upstreamErrors: Record<string, number> = {};
  upstream = new Uint32Array(BUCKETS);
  storeCalls = 0;
  storeErrors: Record<string, number> = {};
  store = new Uint32Array(BUCKETS);
  refreshes: Record<string, number> = {};
  revocations = 0;
  rateLimited = 0;

  add(event: AuthLiteEvent): void {
    switch (event.type) {
      case "cache":
        if (event.outcome === "miss") this.cacheMisses++;
        else this.cacheHits++;
        break;
      case "upstream": {
        this.upstreamCalls++;
        this.upstream[bucketOf(event.durationMs)]! += 1;
        const o = event.outcome;
        if (typeof o !== "number" || o >= 400) {
          const code = String(o);
          this.upstreamErrors[code] = (this.upstreamErrors[code] ?? 0) + 1;
        }
        break;
      }
      case "store":
        this.storeCalls++;
        this.store[bucketOf(event.durationMs)]! += 1;
        if (event.outcome !== "ok") {
          this.storeErrors[event.outcome] = (this.storeErrors[event.outcome] ?? 0) + 1;
        }
        break;
      case "refresh":
        this.refreshes[event.outcome] = (this.refreshes[event.outcome] ?? 0) + 1;
        break;
      case "revoke":
        this.revocations++;
        break;
      case "rate-limit":
        this.rateLimited++;
        break;
      default:
        break;
    }
  }

  merge(other: Figures): void {
    this.cacheHits += other.cacheHits;
    this.cacheMisses += other.cacheMisses;
    this.upstreamCalls += other.upstreamCalls;
    this.storeCalls += other.storeCalls;
    this.revocations += other.revocations;
    this.rateLimited += other.rateLimited;
    for (let i = 0; i < BUCKETS; i++) {
      this.upstream[i]! += other.upstream[i]!;
      this.store[i]! += other.store[i]!;
    }
    for (
      const [from, into] of [
        [other.upstreamErrors, this.upstreamErrors],
        [other.storeErrors, this.storeErrors],
        [other.refreshes, this.refreshes],
      ] as const
    ) {
      for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
    }
  }
}

function quantile(buckets: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += buckets[i]!;
    // The bucket's upper bound, rounded to 0.01 ms.
    if (seen >= rank) return Math.round(BASE_MS * RATIO ** i * 100) / 100;
  }
  return null;
}

/** The figures of one span of time, as `/admin/status` shows them. */
export interface StatusFigures {
  /** Token-set cache lookups. */
  cache: { hits: number; misses: number; hitRatio: number | null };
  /** Upstream calls: latency (ms, within 15 %) and errors by status or kind. */
  upstream: {
    calls: number;
    p50Ms: number | null;
    p99Ms: number | null;
    errors: Record<string, number>;
  };
  /** Store calls: latency (ms) and errors by kind. */
  store: {
    calls: number;
    p50Ms: number | null;
    p99Ms: number | null;
    errors: Record<string, number>;
  };
  /** Refreshes by outcome (`redeemed`, `waited`, `rejected`, `deferred`). */
  refreshes: Record<string, number>;
  /** Revocations (logouts). */
  revocations: number;
  /** Requests refused by the rate limits. */
  rateLimited: number;
}

/** The body of `GET /admin/status`. */
export interface StatusReport {
  /** When the figures start (ISO 8601). */
  since: string;
  /** Since start. */
  total: StatusFigures;
  /** Over the last minute. */
  lastMinute: StatusFigures;
  /** The circuit breakers' states, as last reported (`closed` when never reported). */
  breakers: { upstream: string; store: string };
}

function report(f: Figures): StatusFigures {
  const lookups = f.cacheHits + f.cacheMisses;
  return {
    cache: {
      hits: f.cacheHits,
      misses: f.cacheMisses,
      hitRatio: lookups === 0 ? null : Math.round((f.cacheHits / lookups) * 1000) / 1000,
    },
    upstream: {
      calls: f.upstreamCalls,
      p50Ms: quantile(f.upstream, f.upstreamCalls, 0.5),
      p99Ms: quantile(f.upstream, f.upstreamCalls, 0.99),
      errors: { ...f.upstreamErrors },
    },
    store: {
      calls: f.storeCalls,
      p50Ms: quantile(f.store, f.storeCalls, 0.5),
      p99Ms: quantile(f.store, f.storeCalls, 0.99),
      errors: { ...f.storeErrors },
    },
    refreshes: { ...f.refreshes },
    revocations: f.revocations,
    rateLimited: f.rateLimited,
  };
}

/** Keeps the figures of `/admin/status` from the events. */
export class StatusBoard {
  #now: () => number;
  #since: number;
  #total = new Figures();
  #slots: { second: number; figures: Figures }[] = [];
  #breakers = { upstream: "closed", store: "closed" };

  /**
   * A board that starts now.
   *
   * @param now the clock in milliseconds
   */
  constructor(now: () => number) {
    this.#now = now;
    this.#since = now();
  }

  /**
   * Count an event.
   *
   * @param event what happened
   */
  add(event: AuthLiteEvent): void {
    if (event.type === "breaker") {
      this.#breakers[event.name] = event.state;
      return;
    }
    this.#total.add(event);
    const second = Math.floor(this.#now() / 1000);
    const slot = this.#slots[second % 60];
    if (slot === undefined || slot.second !== second) {
      const fresh = { second, figures: new Figures() };
      this.#slots[second % 60] = fresh;
      fresh.figures.add(event);
    } else {
      slot.figures.add(event);
    }
  }

  /** The figures now. */
  report(): StatusReport {
    const second = Math.floor(this.#now() / 1000);
    const minute = new Figures();
    for (const slot of this.#slots) {
      if (slot !== undefined && second - slot.second < 60) minute.merge(slot.figures);
    }
    return {
      since: new Date(this.#since).toISOString(),
      total: report(this.#total),
      lastMinute: report(minute),
      breakers: { ...this.#breakers },
    };
  }
}
