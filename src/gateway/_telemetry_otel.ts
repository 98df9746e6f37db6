/**
 * OpenTelemetry through `@opentelemetry/api` (no cost without an SDK): a
 * server span per gateway request (HTTP semantic conventions), child spans of
 * upstream and store calls built from the events (their start and end times,
 * parent: the request's span), and the gateway's metrics. Attributes are
 * route templates, methods, statuses and outcome names: never a token, a code,
 * a key, a secret, or a URL's query.
 *
 * @module
 */
import {
  type Attributes,
  type Context as OtelContext,
  context,
  type Counter,
  createNoopMeter,
  type Histogram,
  metrics,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import type { AuthLiteEvent } from "../_events.ts";

/** The instrumentation scope's name of every span and metric of the gateway. */
export const INSTRUMENTATION = "authlite";

const BREAKER_VALUE = { closed: 0, "half-open": 1, open: 2 } as const;

/** What the global tracer provider delegates to while no SDK is registered. */
const NOOP_TRACERS = new ProxyTracerProvider().getDelegate();

/** Whether a tracer provider is registered (now: one may be registered after the gateway is built). */
function tracing(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_TRACERS;
}

/** The gateway's spans and metrics. */
export class Otel {
  /** The global tracer provider {@linkcode Otel.tracer} was taken from, and that tracer. */
  #provider: TracerProvider | undefined;
  #tracer: Tracer | undefined;
  #requestDuration: Histogram;
  #cache: Counter;
  #upstreamDuration: Histogram;
  #upstreamErrors: Counter;
  #storeDuration: Histogram;
  #storeErrors: Counter;
  #refreshes: Counter;
  #revocations: Counter;
  #rateLimited: Counter;
  #credentials: Counter;
  #breakers: Record<"upstream" | "store", number> = { upstream: 0, store: 0 };
  /** Whether the meter is the API's no-op one (no SDK was registered when it was taken). */
  readonly #noMeter: boolean;

  /** The instruments, from the global providers. */
  constructor() {
    const m = metrics.getMeter(INSTRUMENTATION);
    this.#noMeter = m === createNoopMeter();
    this.#requestDuration = m.createHistogram("http.server.request.duration", {
      description: "Duration of the gateway's HTTP requests",
      unit: "s",
    });
    this.#cache = m.createCounter("authlite.cache.lookups", {
      description: "Token-set cache lookups, by outcome (memory-hit, store-hit, grace-hit, miss)",
    });
    this.#upstreamDuration = m.createHistogram("authlite.upstream.duration", {
      description: "Duration of upstream (TrustAuthX) calls",
      unit: "s",
    });
    this.#upstreamErrors = m.createCounter("authlite.upstream.errors", {
      description: "Upstream calls that failed, by status or kind",
    });
    this.#storeDuration = m.createHistogram("authlite.store.duration", {
      description: "Duration of token-cache store calls",
      unit: "s",
    });
    this.#storeErrors = m.createCounter("authlite.store.errors", {
      description: "Store calls that failed, by kind",
    });
    this.#refreshes = m.createCounter("authlite.refreshes", {
      description: "Token-set refreshes, by outcome (redeemed, waited, rejected, deferred)",
    });
    this.#revocations = m.createCounter("authlite.revocations", {
      description: "Revocations (logouts; all: sign-out everywhere)",
    });
    this.#rateLimited = m.createCounter("authlite.rate_limit.rejections", {
      description: "Requests refused by a rate limit, by route group",
    });
    this.#credentials = m.createCounter("authlite.credentials.rejections", {
      description: "Upstream rejections of the organisation's credentials",
    });
    m.createObservableGauge("authlite.breaker.state", {
      description: "Circuit breaker state: 0 closed, 1 half-open, 2 open",
    }).addCallback((result) => {
      for (const name of ["upstream", "store"] as const) {
        result.observe(this.#breakers[name], { "authlite.breaker": name });
      }
    });
  }

  /**
   * The tracer of the global provider registered now: taken again when the
   * provider changed (an SDK disabled and registered again after the gateway
   * was built; a tracer taken once would keep sending spans to the old one).
   *
   * @returns the tracer
   */
  get tracer(): Tracer {
    const provider = trace.getTracerProvider();
    if (provider !== this.#provider || this.#tracer === undefined) {
      this.#provider = provider;
      this.#tracer = provider.getTracer(INSTRUMENTATION);
    }
    return this.#tracer;
  }

  /**
   * Whether a request's span and metrics would be recorded anywhere: a meter
   * provider was registered before this was built, or a tracer provider is
   * registered now. Without either, a request's telemetry is skipped.
   *
   * @returns `true` when they would
   */
  active(): boolean {
    return !this.#noMeter || tracing();
  }

  /**
   * Start the server span of a request, child of the active context.
   *
   * @param method the request's method
   * @param path the URL's path (no query)
   * @returns the span
   */
  startRequest(method: string, path: string): Span {
    return this.tracer.startSpan(method, {
      kind: SpanKind.SERVER,
      attributes: { "http.request.method": method, "url.path": path },
    });
  }

  /**
   * End a request's span: its route, status, and the request duration metric.
   *
   * @param span the span of {@linkcode Otel.startRequest}
   * @param method the request's method
   * @param route the matched route template, if any
   * @param status the response's status
   * @param seconds how long it took
   */
  endRequest(
    span: Span,
    method: string,
    route: string | undefined,
    status: number,
    seconds: number,
  ): void {
    const attributes: Attributes = {
      "http.request.method": method,
      "http.response.status_code": status,
    };
    if (route !== undefined) attributes["http.route"] = route;
    if (status >= 500) attributes["error.type"] = String(status);
    span.setAttributes(attributes);
    if (route !== undefined) span.updateName(`${method} ${route}`);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    this.#requestDuration.record(seconds, attributes);
  }

  /**
   * Record an event: metrics, and a child span for an upstream or store call.
   *
   * @param event what happened
   * @param parent the request's span, when known without a context manager
   */
  record(event: AuthLiteEvent, parent: Span | undefined): void {
    switch (event.type) {
      case "upstream": {
        const o = event.outcome;
        const attributes: Attributes = {
          "http.request.method": event.method,
          "url.template": event.endpoint,
        };
        if (typeof o === "number") attributes["http.response.status_code"] = o;
        const failed = typeof o !== "number" || o >= 400;
        if (failed) attributes["error.type"] = String(o);
        this.#upstreamDuration.record(event.durationMs / 1000, attributes);
        if (failed) this.#upstreamErrors.add(1, attributes);
        this.#child(`${event.method} ${event.endpoint}`, event, attributes, failed, parent);
        break;
      }
      case "store": {
        const attributes: Attributes = {
          "db.operation.name": event.operation,
          "authlite.store.outcome": event.outcome,
        };
        this.#storeDuration.record(event.durationMs / 1000, attributes);
        const failed = event.outcome !== "ok";
        if (failed) this.#storeErrors.add(1, attributes);
        this.#child(`store ${event.operation}`, event, attributes, failed, parent);
        break;
      }
      case "cache":
        this.#cache.add(1, { "authlite.cache.outcome": event.outcome });
        break;
      case "refresh":
        this.#refreshes.add(1, { "authlite.refresh.outcome": event.outcome });
        break;
      case "revoke":
        this.#revocations.add(1, { "authlite.revoke.all": event.all });
        break;
      case "rate-limit":
        this.#rateLimited.add(1, { "authlite.route": event.route });
        break;
      case "credentials":
        this.#credentials.add(1, { "authlite.credential": event.credential });
        break;
      case "breaker":
        this.#breakers[event.name] = BREAKER_VALUE[event.state];
        break;
    }
  }

  #child(
    name: string,
    event: { startedAt: number; durationMs: number },
    attributes: Attributes,
    failed: boolean,
    parent: Span | undefined,
  ): void {
    const ctx: OtelContext = parent === undefined
      ? context.active()
      : trace.setSpan(context.active(), parent);
    const span = this.tracer.startSpan(
      name,
      { kind: SpanKind.CLIENT, startTime: event.startedAt, attributes },
      ctx,
    );
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(event.startedAt + event.durationMs);
  }
}
