/**
 * What the client, the cache and the gateway report as they work: one
 * observer function, called synchronously, that must not throw (a throwing
 * observer is ignored). The OpenTelemetry adapter, the logger and
 * `/admin/status` are observers; the client itself depends on nothing.
 * No event carries a token, a code, a key or a secret: operations are named
 * by their route template, never by a URL with a query.
 *
 * @module
 */

/** One event of note. `durationMs` is measured with the injected clock or `performance.now()`. */
export type AuthLiteEvent =
  /** One upstream HTTP call (after retries: one event per attempt). */
  | {
    type: "upstream";
    /** The endpoint path without query, e.g. `/api/user/me/access/token/`. */
    endpoint: string;
    method: string;
    /** HTTP status, or what happened instead. */
    outcome: number | "network" | "timeout" | "rejected-open" | "rejected-full";
    durationMs: number;
    /** When the call started (epoch ms). */
    startedAt: number;
  }
  /** One store call. */
  | {
    type: "store";
    operation: "get" | "put" | "delete" | "putIfAbsent" | "getMany";
    outcome: "ok" | "error" | "timeout" | "garbage" | "rejected-open";
    durationMs: number;
    startedAt: number;
  }
  /** A token-set cache lookup. */
  | { type: "cache"; outcome: "memory-hit" | "store-hit" | "miss" | "grace-hit" }
  /**
   * A refresh: `redeemed` (this caller presented the refresh token),
   * `waited` (another caller or instance redeemed it; this one got its pair),
   * `rejected` (upstream said the refresh token is invalid: a logout),
   * `deferred` (could not decide: 503, the session kept).
   */
  | { type: "refresh"; outcome: "redeemed" | "waited" | "rejected" | "deferred" }
  /** A revocation (logout, sign-out everywhere). */
  | { type: "revoke"; all: boolean }
  /** A circuit breaker changed state. */
  | { type: "breaker"; name: "upstream" | "store"; state: "closed" | "open" | "half-open" }
  /** TrustAuthX rejected the organisation's own credentials. */
  | { type: "credentials"; credential: "apiKey" | "secretKey" | "orgId" | "unknown" }
  /** A request refused by a rate limit (the key is never reported). */
  | { type: "rate-limit"; route: string };

/** Receives {@linkcode AuthLiteEvent}s; must be cheap and must not throw. */
export type AuthLiteObserver = (event: AuthLiteEvent) => void;

/** Call `observer` with `event`, ignoring what it throws. */
export function emit(observer: AuthLiteObserver | undefined, event: AuthLiteEvent): void {
  if (observer === undefined) return;
  try {
    observer(event);
  } catch {
    // An observer must never turn work into a failure.
  }
}
