/**
 * The gateway's telemetry: one observer of {@linkcode AuthLiteEvent}s (give
 * it to the client as `observe`) that feeds the log, OpenTelemetry, the
 * figures of `/admin/status` and each request's `Server-Timing`; and the
 * middleware that opens each request's span.
 *
 * @module
 */
import { context, type Span, trace } from "@opentelemetry/api";
import type { Context, Next } from "hono";
import type { AuthLiteEvent, AuthLiteObserver } from "../_events.ts";
import {
  consoleLogger,
  type GatewayLogger,
  type LogRecord,
  recordOf,
  throttledLog,
} from "./_logger.ts";
import { setReplyHeader } from "../hono/_internal.ts";
import { Otel } from "./_telemetry_otel.ts";
import { StatusBoard, type StatusReport } from "./_telemetry_status.ts";

/**
 * The part of `AsyncLocalStorage` (`node:async_hooks`) the telemetry uses to
 * tell which request an event belongs to.
 */
export interface AsyncLocalStorageLike {
  /** Run `fn` with `store` as the current store. */
  run<R>(store: unknown, fn: () => R): R;
  /** The current store. */
  getStore(): unknown;
}

/** Options of {@linkcode createTelemetry}. */
export interface TelemetryOptions {
  /**
   * Where log records go (default: one JSON line per record on the console;
   * `false`: nowhere).
   */
  logger?: GatewayLogger | false;
  /** Each kind of record at most once per this many ms (default 10 000). */
  logIntervalMs?: number;
  /**
   * An `AsyncLocalStorage` (`new AsyncLocalStorage()` from `node:async_hooks`;
   * on Workers with the `nodejs_als` flag): lets `Server-Timing` and the spans
   * of upstream and store calls find their request without an OpenTelemetry
   * context manager. Without it, `Server-Timing` shows the total alone.
   */
  asyncLocalStorage?: AsyncLocalStorageLike;
  /** The clock in milliseconds (default `Date.now`). */
  now?: () => number;
}

/** What one request spent, for `Server-Timing`. */
interface RequestScope {
  span: Span;
  cache: string | undefined;
  storeMs: number;
  storeCalls: number;
  upstreamMs: number;
  upstreamCalls: number;
}

/**
 * The gateway's telemetry: pass `observe` to the client (and the token cache)
 * and the whole object to `createGateway({ telemetry })`.
 */
export interface GatewayTelemetry {
  /** The observer of the client's and the cache's events. */
  readonly observe: AuthLiteObserver;
  /**
   * Write a record of the gateway's own, at most once per interval per `key`.
   *
   * @param key the kind (a fixed name, no request value)
   * @param record the record
   */
  log(key: string, record: LogRecord): void;
  /** The figures of `/admin/status`. */
  status(): StatusReport;
}

/** The implementation behind {@linkcode GatewayTelemetry}. */
export class Telemetry implements GatewayTelemetry {
  readonly observe: AuthLiteObserver;
  readonly #log: (key: string, record: LogRecord) => void;
  readonly #otel: Otel;
  readonly #board: StatusBoard;
  readonly #als: AsyncLocalStorageLike | undefined;

  /**
   * Telemetry with the given outputs.
   *
   * @param options the logger, the clock
   */
  constructor(options: TelemetryOptions = {}) {
    const now = options.now ?? Date.now;
    const logger = options.logger === false ? () => {} : options.logger ?? consoleLogger(now);
    this.#log = throttledLog(logger, {
      now,
      ...(options.logIntervalMs === undefined ? {} : { intervalMs: options.logIntervalMs }),
    });
    this.#otel = new Otel();
    this.#board = new StatusBoard(now);
    this.#als = options.asyncLocalStorage;
    this.observe = (event) => {
      try {
        this.#event(event);
      } catch {
        // An observer must never turn work into a failure.
      }
    };
  }

  #event(event: AuthLiteEvent): void {
    const found = recordOf(event);
    if (found !== undefined) this.#log(found[0], found[1]);
    this.#board.add(event);
    const scope = this.#als?.getStore() as RequestScope | undefined;
    this.#otel.record(event, scope?.span);
    if (scope === undefined) return;
    if (event.type === "upstream") {
      scope.upstreamMs += event.durationMs;
      scope.upstreamCalls++;
    } else if (event.type === "store") {
      scope.storeMs += event.durationMs;
      scope.storeCalls++;
    } else if (event.type === "cache") {
      scope.cache = event.outcome;
    }
  }

  log(key: string, record: LogRecord): void {
    this.#log(key, record);
  }

  status(): StatusReport {
    return this.#board.report();
  }

  /**
   * Run a request inside its span (and its scope), then end the span and add
   * `Server-Timing` when asked; when neither a span nor `Server-Timing` would
   * be seen, run it as it is.
   *
   * @param c the context
   * @param next the rest of the chain
   * @param serverTiming whether to add `Server-Timing`
   */
  request(c: Context, next: Next, serverTiming: boolean): Promise<void> {
    return this.traces(serverTiming) ? this.#traced(c, next, serverTiming) : next();
  }

  /**
   * Whether a request's span or `Server-Timing` would be seen: without an
   * OpenTelemetry SDK and without `Server-Timing`, nothing would see the span,
   * the scope or the clock reads (the log and /admin/status are fed by
   * events), and {@linkcode Telemetry.request} skips them.
   *
   * @param serverTiming whether `Server-Timing` is added
   * @returns `true` when they would
   */
  traces(serverTiming: boolean): boolean {
    return serverTiming || this.#otel.active();
  }

  async #traced(c: Context, next: Next, serverTiming: boolean): Promise<void> {
    const started = performance.now();
    const method = c.req.method;
    const span = this.#otel.startRequest(method, c.req.path);
    const scope: RequestScope = {
      span,
      cache: undefined,
      storeMs: 0,
      storeCalls: 0,
      upstreamMs: 0,
      upstreamCalls: 0,
    };
    const als = this.#als;
    const run = als === undefined ? next : () => als.run(scope, next);
    try {
      await context.with(trace.setSpan(context.active(), span), run);
    } finally {
      const ms = performance.now() - started;
      const status = c.res.status;
      this.#otel.endRequest(span, method, routeOf(c), status, ms / 1000);
      if (serverTiming) setReplyHeader(c, "server-timing", timing(scope, ms, als !== undefined));
    }
  }
}

/** The matched route's template (`/admin/roles/:rolId`), not the path with its values. */
function routeOf(c: Context): string | undefined {
  const route = c.req.routePath;
  return route === "" || route === "/*" || route === "*" ? undefined : route;
}

function timing(scope: RequestScope, totalMs: number, attributed: boolean): string {
  const parts: string[] = [];
  if (attributed) {
    if (scope.cache !== undefined) parts.push(`cache;desc="${scope.cache}"`);
    if (scope.storeCalls > 0) {
      parts.push(`store;dur=${scope.storeMs.toFixed(1)};desc="${scope.storeCalls} calls"`);
    }
    if (scope.upstreamCalls > 0) {
      parts.push(
        `upstream;dur=${scope.upstreamMs.toFixed(1)};desc="${scope.upstreamCalls} calls"`,
      );
    }
  }
  parts.push(`total;dur=${totalMs.toFixed(1)}`);
  return parts.join(", ");
}

/**
 * The gateway's telemetry: the log, OpenTelemetry, the figures of
 * `/admin/status` and `Server-Timing`, all fed by one observer.
 *
 * Spans and metrics go to the global OpenTelemetry providers (`@opentelemetry/api`):
 * register the SDK (or run Deno with `OTEL_DENO=true`) before this is called,
 * since a meter taken before then stays a no-op.
 *
 * @param options the logger, the clock, an `AsyncLocalStorage`
 * @returns the telemetry: give `observe` to the client and the object to the gateway
 * @example
 * ```ts ignore
 * import { AuthLiteClient, memoryStore } from "../../mod.ts";
 * import { createGateway, createTelemetry } from "./mod.ts";
 * const telemetry = createTelemetry(); // JSON lines on the console, the global OpenTelemetry API
 * const client = new AuthLiteClient({
 *   apiKey: "key", secretKey: "secret", orgId: "org", tokenCache: memoryStore(),
 *   observe: telemetry.observe,
 * });
 * const app = createGateway({ client, telemetry, sessionSecret: "a long random string of 32+ chars!!" });
 * ```
 */
export function createTelemetry(options: TelemetryOptions = {}): GatewayTelemetry {
  return new Telemetry(options);
}
