/**
 * The gateway's log: one record per event of note (upstream errors, refresh
 * failures, store errors, breaker changes, credential rejections, rate
 * limiting, an unknown peer), each kind written at most once per interval
 * under a flood, never with a token, a code, a key or a secret (the events
 * carry none, and no request value is copied into a record).
 *
 * @module
 */
import type { AuthLiteEvent, AuthLiteObserver } from "../_events.ts";
import { BoundedMap } from "../_bounded_map.ts";

/** How serious a record is. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One log record: what happened (`event`, a stable name), in words (`message`), and its fields. */
export interface LogRecord {
  /** How serious it is. */
  level: LogLevel;
  /** A stable name: `upstream-error`, `refresh-failed`, `store-error`, `breaker`, `credentials`, `rate-limited`, `peer-unknown`, `ready`. */
  event: string;
  /** A sentence for a person. */
  message: string;
  /** How many records of this kind were left out since the last one written (flood). */
  suppressed?: number;
  /** More fields (numbers and short names only). */
  [field: string]: unknown;
}

/** Receives the gateway's log records; must be cheap and must not throw. */
export type GatewayLogger = (record: LogRecord) => void;

/**
 * The default logger: one JSON line per record on the console (`console.error`
 * for `warn` and `error`, else `console.log`), with the time first.
 *
 * @param now the clock in milliseconds (default `Date.now`)
 * @returns the logger
 * @example
 * ```ts
 * import { consoleLogger } from "./_logger.ts";
 * const log = consoleLogger();
 * log({ level: "info", event: "example", message: "Hello" });
 * ```
 */
export function consoleLogger(now: () => number = Date.now): GatewayLogger {
  return (record) => {
    const line = JSON.stringify({ time: new Date(now()).toISOString(), ...record });
    if (record.level === "error" || record.level === "warn") console.error(line);
    else console.log(line);
  };
}

/** Options of {@linkcode logObserver}. */
export interface LogObserverOptions {
  /** At most one record per kind and interval (default 10 000 ms). */
  intervalMs?: number;
  /** The clock in milliseconds (default `Date.now`). */
  now?: () => number;
}

/**
 * Write at most one record per kind (`key`) and interval, counting the ones
 * left out into the next record's `suppressed`.
 *
 * @param logger where records go
 * @param options the interval and the clock
 * @returns a function that logs a record under a kind
 */
export function throttledLog(
  logger: GatewayLogger,
  options: LogObserverOptions = {},
): (key: string, record: LogRecord) => void {
  const interval = options.intervalMs ?? 10_000;
  const now = options.now ?? Date.now;
  // Bounded: kinds are a small fixed set of names (no request values in keys).
  const last = new BoundedMap<string, { at: number; suppressed: number }>(1000);
  return (key, record) => {
    const t = now();
    const seen = last.get(key);
    if (seen !== undefined && t - seen.at < interval) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    last.set(key, { at: t, suppressed: 0 });
    try {
      logger(suppressed > 0 ? { ...record, suppressed } : record);
    } catch {
      // A logger must never turn work into a failure.
    }
  };
}

/** The record of an event of note, with the kind it is throttled under, or `undefined`. */
export function recordOf(event: AuthLiteEvent): [string, LogRecord] | undefined {
  switch (event.type) {
    case "upstream": {
      const o = event.outcome;
      if (typeof o === "number" && o < 500 && o !== 429 && o !== 408) return undefined;
      const what = typeof o === "number" ? `answered ${o}` : o;
      return [`upstream:${event.endpoint}:${o}`, {
        level: "warn",
        event: "upstream-error",
        message: `Upstream call failed: ${event.method} ${event.endpoint} ${what}`,
        endpoint: event.endpoint,
        method: event.method,
        outcome: o,
        durationMs: Math.round(event.durationMs),
      }];
    }
    case "store":
      if (event.outcome === "ok") return undefined;
      return [`store:${event.operation}:${event.outcome}`, {
        level: "warn",
        event: "store-error",
        message: `Store call failed: ${event.operation} ${event.outcome}`,
        operation: event.operation,
        outcome: event.outcome,
        durationMs: Math.round(event.durationMs),
      }];
    case "refresh":
      if (event.outcome === "redeemed" || event.outcome === "waited") return undefined;
      return [`refresh:${event.outcome}`, {
        level: event.outcome === "deferred" ? "warn" : "info",
        event: "refresh-failed",
        message: event.outcome === "deferred"
          ? "Refresh deferred: could not decide now (503, session kept)"
          : "Refresh rejected by the upstream: the session is over",
        outcome: event.outcome,
      }];
    case "breaker":
      // Every change is written: they are few, and each one matters.
      return [`breaker:${event.name}:${event.state}`, {
        level: event.state === "open" ? "error" : "warn",
        event: "breaker",
        message: `Circuit breaker of the ${event.name} is ${event.state}`,
        name: event.name,
        state: event.state,
      }];
    case "credentials":
      return [`credentials:${event.credential}`, {
        level: "error",
        event: "credentials",
        message: `TrustAuthX rejected the organisation's credentials (${event.credential}): ` +
          `check ${variableOf(event.credential)}`,
        credential: event.credential,
      }];
    case "rate-limit":
      return [`rate-limit:${event.route}`, {
        level: "warn",
        event: "rate-limited",
        message: `Requests refused by the rate limit on ${event.route}`,
        route: event.route,
      }];
    default:
      return undefined;
  }
}

/**
 * The variable that holds a credential, for the line that tells what to fix.
 *
 * @param credential which credential was rejected
 * @returns the variable's name (or the three, when the reply does not say)
 */
export function variableOf(credential: "apiKey" | "secretKey" | "orgId" | "unknown"): string {
  switch (credential) {
    case "apiKey":
      return "TRUSTAUTHX_API_KEY";
    case "secretKey":
      return "TRUSTAUTHX_SECRET_KEY";
    case "orgId":
      return "TRUSTAUTHX_ORG_ID";
    default:
      return "TRUSTAUTHX_API_KEY, TRUSTAUTHX_SECRET_KEY and TRUSTAUTHX_ORG_ID";
  }
}

/**
 * An observer that logs the events of note, each kind at most once per interval.
 *
 * @param logger where records go
 * @param options the interval and the clock
 * @returns the observer
 */
export function logObserver(
  logger: GatewayLogger,
  options: LogObserverOptions = {},
): AuthLiteObserver {
  const log = throttledLog(logger, options);
  return (event) => {
    const found = recordOf(event);
    if (found !== undefined) log(found[0], found[1]);
  };
}
