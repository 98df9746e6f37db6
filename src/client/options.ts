/**
 * The options of {@linkcode AuthLiteClient} and their validation.
 *
 * @module
 */
import type { KVStore } from "../cache/mod.ts";
import type { TokenSetCacheOptions } from "../cache/mod.ts";
import { AuthLiteInputError } from "../errors.ts";
import type { AuthLiteObserver } from "../_events.ts";

/** The hosted TrustAuthX API. */
export const DEFAULT_BASE_URL = "https://api.trustauthx.com";
/** The hosted TrustAuthX login widget. */
export const DEFAULT_WIDGET_URL = "https://app.trustauthx.com";
/** Default timeout of one request, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Default number of retries of an idempotent request. */
export const DEFAULT_RETRIES = 2;
/** Default lifetime of the role cache and of a user's roles, in seconds. */
export const DEFAULT_ROLE_CACHE_TTL_SECONDS = 30;
/** Default clock tolerance when verifying signed replies, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
/** Default bound on upstream calls of the token-set check in flight at once. */
export const DEFAULT_MAX_UPSTREAM_IN_FLIGHT = 32;
/** Default bound on upstream calls of the token-set check waiting for a slot. */
export const DEFAULT_MAX_UPSTREAM_QUEUE = 128;
/** Default outages in a row that open the upstream circuit breaker. */
export const DEFAULT_BREAKER_FAILURES = 5;
/** Default time the upstream circuit breaker stays open before a probe, in seconds. */
export const DEFAULT_BREAKER_OPEN_SECONDS = 5;

/** Settings of the circuit breaker on upstream calls. */
export interface UpstreamBreakerOptions {
  /** Outages in a row (network error, timeout, 408, 429, 5xx) that open it (default 5). */
  failures?: number | undefined;
  /** How long it stays open, failing every call at once, before one probe (default 5 s). */
  openSeconds?: number | undefined;
}

/** A `fetch` function: the global one, or one of your own (tests, proxies). */
export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

/**
 * Options of the {@linkcode AuthLiteClient} constructor.
 *
 * Only `apiKey` and `secretKey` are required; `orgId` is needed by
 * {@linkcode AuthLiteClient.generateUrl}, the role assignments and `client.roles`.
 */
export interface AuthLiteClientOptions {
  /** The organisation's API key. */
  apiKey: string;
  /** The organisation's secret key: signs the API key and verifies signed replies. */
  secretKey: string;
  /** The organisation id (optional until an operation needs it). */
  orgId?: string | undefined;
  /** Base URL of the TrustAuthX API (default `https://api.trustauthx.com`). */
  baseUrl?: string | undefined;
  /** Origin of the login widget (default `https://app.trustauthx.com`). */
  widgetUrl?: string | undefined;
  /** The `fetch` to use (default the global `fetch`, looked up at call time). */
  fetch?: FetchLike | undefined;
  /** Timeout of each request in milliseconds (default 10 000). */
  timeoutMs?: number | undefined;
  /**
   * How many times a GET is retried after a network error or a 502, 503 or
   * 504 (default 2), with exponential backoff and jitter, or after the wait a
   * `Retry-After` header asks for (up to 5 s; a longer one is not retried).
   * Timeouts, 4xx replies and requests that change state are never retried.
   */
  retries?: number | undefined;
  /** Clock tolerance in seconds when checking `exp`/`nbf` of signed replies (default 30). */
  clockToleranceSeconds?: number | undefined;
  /** Clock in milliseconds since the epoch (default `Date.now`); used to verify signed replies. */
  now?: (() => number) | undefined;
  /** A store in which validated token sets are cached (see `memoryStore()` and the others). */
  tokenCache?: KVStore | undefined;
  /**
   * Tuning of the token-set cache (lifetime, grace window, store timeout,
   * in-process layer, an `onError` hook for store failures); used with `tokenCache`.
   */
  tokenCacheOptions?: TokenCacheTuning | undefined;
  /**
   * How long, in seconds, the role cache is used before it is loaded again,
   * and how long a user's roles read from upstream are taken as current
   * (default 30). Changes made through any client sharing `tokenCache` are
   * seen sooner: within 1 s.
   */
  roleCacheTtlSeconds?: number | undefined;
  /**
   * How long, in seconds, the last loaded roles of the organisation keep
   * answering permission checks while the upstream is out (a network error,
   * a timeout, 408, 429, 5xx, an open breaker) and a reload fails (default
   * 300; 0: never past the TTL). With the upstream up, `roleCacheTtlSeconds`
   * alone bounds them.
   */
  staleRolesMaxSeconds?: number | undefined;
  /**
   * Upstream calls of the token-set check (validate, refresh) in flight at
   * once (default 32). More wait in a bounded queue.
   */
  maxUpstreamInFlight?: number | undefined;
  /**
   * Upstream calls of the token-set check waiting for a slot (default 128).
   * When the queue is full, `validateTokenSet` fails at once with
   * `ERR_UNAVAILABLE` (`capacity`); a waiting call whose caller's `signal`
   * aborted leaves the queue.
   */
  maxUpstreamQueue?: number | undefined;
  /**
   * The circuit breaker on every upstream call (default: opens after 5
   * outages in a row, for 5 s); `false` turns it off. While it is open,
   * calls fail at once with `ERR_UNAVAILABLE` (`upstream`).
   */
  breaker?: UpstreamBreakerOptions | false | undefined;
  /**
   * Told of upstream calls, breaker changes and rejected credentials (and,
   * through the token-set cache, of store calls and cache outcomes); must be
   * cheap and must not throw. No event carries a token or a secret.
   */
  observe?: AuthLiteObserver | undefined;
}

/** The options of the token-set cache that a client passes through (all but the store and secret). */
export type TokenCacheTuning = Omit<TokenSetCacheOptions, "store" | "secretKey" | "now">;

/** The options after validation, with every default applied. */
export interface ResolvedOptions {
  apiKey: string;
  secretKey: string;
  orgId: string | undefined;
  baseUrl: URL;
  widgetUrl: string;
  fetch: FetchLike;
  timeoutMs: number;
  retries: number;
  clockToleranceSeconds: number;
  now: () => number;
  tokenCache: KVStore | undefined;
  tokenCacheOptions: TokenCacheTuning;
  roleCacheTtlSeconds: number;
  staleRolesMaxSeconds: number;
  maxUpstreamInFlight: number;
  maxUpstreamQueue: number;
  breaker: { failures: number; openMs: number } | false;
  observe: AuthLiteObserver | undefined;
}

function configError(message: string): AuthLiteInputError {
  return new AuthLiteInputError("ERR_CONFIG", message);
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw configError(`Missing option: ${name}`);
  }
  return value;
}

function parseHttpUrl(value: unknown, name: string, fallback: string): URL {
  if (value === undefined) return new URL(fallback);
  if (typeof value !== "string") throw configError(`Invalid option: ${name} must be a URL`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(`Invalid option: ${name} must be a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw configError(`Invalid option: ${name} must be an http or https URL`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw configError(`Invalid option: ${name} must have no query or fragment`);
  }
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}

function nonNegativeNumber(
  value: unknown,
  name: string,
  fallback: number,
  integer: boolean,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw configError(
      `Invalid option: ${name} must be a non-negative ${integer ? "integer" : "number"}`,
    );
  }
  return value;
}

const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init);

/**
 * Validate the constructor options and apply the defaults.
 *
 * @param options what the caller gave
 * @returns the resolved options
 * @throws {AuthLiteInputError} `ERR_CONFIG` when an option is missing or invalid
 */
export function resolveOptions(options: AuthLiteClientOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw configError("Missing options: apiKey and secretKey are required");
  }
  const apiKey = requireString(options.apiKey, "apiKey");
  const secretKey = requireString(options.secretKey, "secretKey");
  const orgId = options.orgId === undefined ? undefined : requireString(options.orgId, "orgId");
  const baseUrl = parseHttpUrl(options.baseUrl, "baseUrl", DEFAULT_BASE_URL);
  const widgetUrl = parseHttpUrl(options.widgetUrl, "widgetUrl", DEFAULT_WIDGET_URL);
  if (options.fetch !== undefined && typeof options.fetch !== "function") {
    throw configError("Invalid option: fetch must be a function");
  }
  if (options.now !== undefined && typeof options.now !== "function") {
    throw configError("Invalid option: now must be a function");
  }
  const timeoutMs = nonNegativeNumber(options.timeoutMs, "timeoutMs", DEFAULT_TIMEOUT_MS, false);
  if (timeoutMs === 0) throw configError("Invalid option: timeoutMs must be positive");
  if (options.observe !== undefined && typeof options.observe !== "function") {
    throw configError("Invalid option: observe must be a function");
  }
  const maxUpstreamInFlight = nonNegativeNumber(
    options.maxUpstreamInFlight,
    "maxUpstreamInFlight",
    DEFAULT_MAX_UPSTREAM_IN_FLIGHT,
    true,
  );
  if (maxUpstreamInFlight === 0) {
    throw configError("Invalid option: maxUpstreamInFlight must be positive");
  }
  const breaker = options.breaker;
  if (
    breaker !== undefined && breaker !== false && (typeof breaker !== "object" || breaker === null)
  ) {
    throw configError("Invalid option: breaker must be an object or false");
  }
  const failures = breaker === false ? 1 : nonNegativeNumber(
    breaker?.failures,
    "breaker.failures",
    DEFAULT_BREAKER_FAILURES,
    true,
  );
  if (failures === 0) throw configError("Invalid option: breaker.failures must be positive");
  const openSeconds = breaker === false ? 0 : nonNegativeNumber(
    breaker?.openSeconds,
    "breaker.openSeconds",
    DEFAULT_BREAKER_OPEN_SECONDS,
    false,
  );
  const store = options.tokenCache;
  if (
    store !== undefined &&
    (typeof store !== "object" || store === null || typeof store.get !== "function" ||
      typeof store.put !== "function" || typeof store.delete !== "function")
  ) {
    throw configError("Invalid option: tokenCache must be a KVStore (get, put, delete)");
  }
  return {
    apiKey,
    secretKey,
    orgId,
    baseUrl,
    widgetUrl: widgetUrl.href.replace(/\/+$/, ""),
    fetch: options.fetch ?? globalFetch,
    timeoutMs,
    retries: nonNegativeNumber(options.retries, "retries", DEFAULT_RETRIES, true),
    clockToleranceSeconds: nonNegativeNumber(
      options.clockToleranceSeconds,
      "clockToleranceSeconds",
      DEFAULT_CLOCK_TOLERANCE_SECONDS,
      false,
    ),
    now: options.now ?? Date.now,
    tokenCache: store,
    tokenCacheOptions: options.tokenCacheOptions ?? {},
    roleCacheTtlSeconds: nonNegativeNumber(
      options.roleCacheTtlSeconds,
      "roleCacheTtlSeconds",
      DEFAULT_ROLE_CACHE_TTL_SECONDS,
      false,
    ),
    staleRolesMaxSeconds: nonNegativeNumber(
      options.staleRolesMaxSeconds,
      "staleRolesMaxSeconds",
      300,
      false,
    ),
    maxUpstreamInFlight,
    maxUpstreamQueue: nonNegativeNumber(
      options.maxUpstreamQueue,
      "maxUpstreamQueue",
      DEFAULT_MAX_UPSTREAM_QUEUE,
      true,
    ),
    breaker: breaker === false ? false : { failures, openMs: openSeconds * 1000 },
    observe: options.observe,
  };
}
