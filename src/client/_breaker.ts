/**
 * The circuit breaker on upstream calls (`../_breaker.ts`): an outage
 * (network error, timeout, 408, 429, 5xx) is a failure; while it is open,
 * every call fails at once with `ERR_UNAVAILABLE`.
 *
 * @module
 */
import type { Breaker } from "../_breaker.ts";
import { AuthLiteUnavailableError, isUpstreamOutage } from "../errors.ts";

/**
 * Run `fn` unless the breaker is open; record whether it was an outage.
 *
 * @param breaker the upstream's breaker
 * @param fn one upstream call
 * @param failed whether an answer of `fn` is an outage all the same (say, a 503 reply)
 * @returns what `fn` answers
 * @throws {AuthLiteUnavailableError} `upstream`, at once, while the breaker is open
 */
export async function throughBreaker<T>(
  breaker: Breaker,
  fn: () => Promise<T>,
  failed: (value: T) => boolean,
): Promise<T> {
  if (!breaker.admit()) {
    // While a probe is out, the wait is a whole open time.
    const wait = breaker.state === "open" ? breaker.retryAfterMs() : breaker.openMs;
    throw new AuthLiteUnavailableError("upstream", "Circuit breaker open", wait / 1000);
  }
  let outage = false;
  try {
    const value = await fn();
    outage = failed(value);
    return value;
  } catch (err) {
    outage = isUpstreamOutage(err);
    throw err;
  } finally {
    if (outage) breaker.failure();
    else breaker.success();
  }
}
