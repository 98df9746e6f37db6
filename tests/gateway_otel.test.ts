// Issue 18, OpenTelemetry: with the SDK's in-memory exporters registered as the
// global providers, a browser session (callback, /auth/me), an RPC call, a
// refresh and an upstream failure produce a server span per request (HTTP
// semantic conventions, url.path without its query), child spans of the
// upstream calls under the request's span, and the gateway's metrics; and no
// attribute, event, span name or metric holds a secret or a token (checked
// against the real values). Seen failing before the gateway had telemetry
// (no span, no metric: createTelemetry did not exist).
import { test } from "node:test";
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { type Attributes, context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { AuthLiteClient, memoryStore, signApiKey } from "../mod.ts";
import type { AuthLiteEvent } from "../src/_events.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { createGateway, createTelemetry } from "../src/gateway/mod.ts";
import { ADMIN_KEY, CookieJar, SERVICE_KEY, SESSION_SECRET } from "./_gateway_fixture.ts";
import { serve } from "./_serve.ts";

const ORIGIN = "http://gw.test";

test("OpenTelemetry: spans and metrics of a browser session, an RPC call, a refresh and an upstream failure, with no secret or token", async () => {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  let offset = 0;
  const now = () => Date.now() + offset;
  const emu = createEmulator({ control: true, accessTokenTtlSeconds: 60 });
  const server = await serve(emu.fetch);
  try {
    const telemetry = createTelemetry({
      logger: false,
      asyncLocalStorage: new AsyncLocalStorage(),
    });
    // What the client reports through its `observe` option, one event per
    // upstream call (the client's own events join these once merged).
    const observed: typeof fetch = async (input, init) => {
      const req = new Request(input, init);
      const startedAt = Date.now();
      const t0 = performance.now();
      const event = (outcome: number | "network") =>
        telemetry.observe({
          type: "upstream",
          endpoint: new URL(req.url).pathname,
          method: req.method,
          outcome,
          durationMs: performance.now() - t0,
          startedAt,
        });
      try {
        const res = await fetch(req);
        event(res.status);
        return res;
      } catch (err) {
        event("network");
        throw err;
      }
    };
    const client = new AuthLiteClient({
      apiKey: DEMO_ORG.apiKey,
      secretKey: DEMO_ORG.secretKey,
      orgId: DEMO_ORG.orgId,
      baseUrl: server.url,
      widgetUrl: server.url,
      tokenCache: memoryStore({ now }),
      retries: 0,
      now,
      fetch: observed,
      ...({ observe: telemetry.observe } as unknown as Record<string, never>),
    });
    const app = createGateway({
      client,
      telemetry,
      sessionSecret: SESSION_SECRET,
      serviceKey: SERVICE_KEY,
      adminKey: ADMIN_KEY,
      requireLoginStart: false,
      redact: [DEMO_ORG.apiKey, DEMO_ORG.secretKey],
    });

    // A browser session: the callback (a code in its query), then /auth/me.
    const code = emu.mintCode({ email: "otel@example.com" });
    const jar = new CookieJar();
    const callback = await app.request(`${ORIGIN}/auth/callback?code=${encodeURIComponent(code)}`);
    assert.equal(callback.status, 302);
    jar.take(callback);
    const access = jar.get("authlite_access") ?? "";
    const refresh = jar.get("authlite_refresh") ?? "";
    assert.ok(access !== "" && refresh !== "");
    const me = await app.request(`${ORIGIN}/auth/me`, { headers: { cookie: jar.header() } });
    assert.equal(me.status, 200);

    // An RPC call.
    const session = emu.session({ email: "rpc@example.com" });
    const rpc = await app.request(`${ORIGIN}/rpc/validateTokenSet`, {
      method: "POST",
      headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        accessToken: session.accessToken,
        refreshToken: session.refreshToken,
      }),
    });
    assert.equal(rpc.status, 200);

    // A refresh: the access token expires.
    offset += 120_000;
    emu.advanceClock(120);
    const refreshed = await app.request(`${ORIGIN}/auth/me`, { headers: { cookie: jar.header() } });
    assert.equal(refreshed.status, 200);
    const rotated = jar.take(refreshed);
    assert.ok(rotated.length > 0, "the cookies were re-set");

    // An upstream failure.
    emu.inject({ kind: "status", status: 503, count: 5 });
    const failed = await app.request(`${ORIGIN}/rpc/roles/getAllRoles`, {
      method: "POST",
      headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
      body: "{}",
    });
    assert.ok(failed.status >= 500, String(failed.status));

    // Spans.
    const finished = spans.getFinishedSpans();
    const servers = finished.filter((s) => s.kind === 1 /* SERVER */);
    const clients = finished.filter((s) => s.kind === 2 /* CLIENT */);
    const byRoute = (route: string) => servers.filter((s) => s.attributes["http.route"] === route);
    assert.equal(byRoute("/auth/callback").length, 1);
    const cb = byRoute("/auth/callback")[0]!;
    assert.equal(cb.name, "GET /auth/callback");
    assert.equal(cb.attributes["url.path"], "/auth/callback", "the path, never the query");
    assert.equal(cb.attributes["http.request.method"], "GET");
    assert.equal(cb.attributes["http.response.status_code"], 302);
    assert.equal(byRoute("/auth/me").length, 2);
    assert.equal(byRoute("/rpc/validateTokenSet").length, 1);
    const fail = byRoute("/rpc/roles/getAllRoles")[0];
    assert.ok(fail !== undefined);
    assert.ok((fail.attributes["http.response.status_code"] as number) >= 500);
    assert.equal(fail.status.code, 2 /* ERROR */);
    // Each upstream call is a child of its request's span, within it in time.
    assert.ok(clients.length >= 4, `${clients.length} client spans`);
    const serverIds = new Map(servers.map((s) => [s.spanContext().spanId, s]));
    for (const c of clients) {
      const parent = serverIds.get(c.parentSpanContext?.spanId ?? "");
      assert.ok(parent !== undefined, `${c.name} has its request's span as parent`);
      assert.equal(c.spanContext().traceId, parent.spanContext().traceId);
    }
    assert.ok(clients.some((c) => c.attributes["http.response.status_code"] === 503));

    // The cache's and the client's own kinds of event (reported by them once
    // their `observe` option is merged): each has its metric.
    const more: AuthLiteEvent[] = [
      { type: "cache", outcome: "memory-hit" },
      { type: "cache", outcome: "miss" },
      { type: "refresh", outcome: "waited" },
      { type: "refresh", outcome: "redeemed" },
      { type: "revoke", all: false },
      { type: "breaker", name: "upstream", state: "open" },
      { type: "rate-limit", route: "auth" },
    ];
    for (const e of more) telemetry.observe(e);

    // Metrics.
    await reader.forceFlush();
    const exported = metricExporter.getMetrics();
    const all = exported.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const named = (name: string) => all.filter((m) => m.descriptor.name === name);
    const points = (name: string): { attributes: Attributes; value: unknown }[] =>
      named(name).flatMap((m) => m.dataPoints as { attributes: Attributes; value: unknown }[]);
    assert.ok(named("http.server.request.duration").length > 0);
    assert.ok(named("authlite.upstream.duration").length > 0);
    const errors = points("authlite.upstream.errors");
    assert.ok(errors.some((p) => p.attributes["http.response.status_code"] === 503));
    assert.ok(
      points("authlite.cache.lookups").some((p) =>
        p.attributes["authlite.cache.outcome"] === "miss"
      ),
    );
    assert.ok(
      points("authlite.refreshes").some((p) =>
        p.attributes["authlite.refresh.outcome"] === "waited"
      ),
    );
    assert.equal(points("authlite.revocations").length, 1);
    assert.equal(points("authlite.rate_limit.rejections").length, 1);
    const breaker = points("authlite.breaker.state").find((p) =>
      p.attributes["authlite.breaker"] === "upstream"
    );
    assert.equal(breaker?.value, 2, "open");

    // No secret, token or code anywhere.
    const signed = await signApiKey(DEMO_ORG.apiKey, DEMO_ORG.secretKey);
    const secrets = [
      DEMO_ORG.apiKey,
      DEMO_ORG.secretKey,
      signed,
      SERVICE_KEY,
      ADMIN_KEY,
      SESSION_SECRET,
      code,
      access,
      refresh,
      jar.get("authlite_access") ?? access,
      jar.get("authlite_refresh") ?? refresh,
      session.accessToken,
      session.refreshToken,
    ];
    const seen = (s: ReadableSpan) =>
      JSON.stringify({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        links: s.links,
        resource: s.resource.attributes,
      });
    const texts = [...finished.map(seen), JSON.stringify(all)];
    for (const text of texts) {
      for (const secret of secrets) {
        assert.ok(secret.length >= 8);
        assert.ok(!text.includes(secret), `a secret or token in: ${text.slice(0, 200)}`);
      }
    }
  } finally {
    await server.close();
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    contextManager.disable();
    trace.disable();
    metrics.disable();
    context.disable();
  }
});
