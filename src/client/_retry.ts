/**
 * When to retry, and how long to wait: exponential backoff with jitter, and
 * `Retry-After` honoured up to a cap.
 *
 * @module
 */

/** Statuses worth another try: the upstream or a proxy in front of it is briefly unwell. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** First backoff step, in milliseconds. */
export const BACKOFF_BASE_MS = 100;
/** Largest backoff step, in milliseconds. */
export const BACKOFF_MAX_MS = 2_000;
/** The longest `Retry-After` we wait for; beyond it we give up at once. */
export const RETRY_AFTER_CAP_MS = 5_000;

/**
 * The backoff before retry number `attempt + 1` (`attempt` counts from 0):
 * `base * 2^attempt`, capped, with "equal jitter" (half fixed, half random).
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Read a `Retry-After` header: delay-seconds or an HTTP date.
 *
 * @returns the delay in milliseconds (0 for a date in the past), or
 *   `undefined` when the header is absent or unreadable
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * How long to wait before the next try after a retryable status, or
 * `undefined` when the upstream asks for a wait beyond
 * {@linkcode RETRY_AFTER_CAP_MS} (then we do not retry).
 */
export function retryDelayMs(
  attempt: number,
  retryAfter: string | null,
  now: number,
  random: () => number = Math.random,
): number | undefined {
  const asked = parseRetryAfter(retryAfter, now);
  if (asked === undefined) return backoffMs(attempt, random);
  if (asked > RETRY_AFTER_CAP_MS) return undefined;
  return asked;
}
