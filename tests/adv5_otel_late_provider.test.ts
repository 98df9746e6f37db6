// Adversarial review, round 5: the gateway skips its request telemetry when
// nothing would record it (the perf round). That decision must be taken per
// request, never once when the gateway is built: an OpenTelemetry SDK
// registered after createGateway() (a preload that runs late, an SDK started
// by the app after it built its routes, or an SDK restarted: disabled and
// registered again) must still get a server span per request, with the
// upstream calls as its children.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { AuthLiteClient, memoryStore } from "../mod.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { createGateway, createTelemetry } from "../src/gateway/mod.ts";
import { SERVICE_KEY, SESSION_SECRET } from "./_gateway_fixture.ts";

const ORIGIN = "http://gw.test";

function sdk(): { spans: InMemorySpanExporter; provider: BasicTracerProvider } {
  const spans = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  return { spans, provider };
}

function gatewayOf(withTelemetry: boolean) {
  const emu = createEmulator();
  const telemetry = createTelemetry({ logger: false, asyncLocalStorage: new AsyncLocalStorage() });
  const client = new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: "http://emulator.test",
    fetch: (input, init) => emu.fetch(new Request(input, init)),
    tokenCache: memoryStore(),
    retries: 0,
    ...(withTelemetry ? { observe: telemetry.observe } : {}),
  });
  const app = createGateway({
    client,
    ...(withTelemetry ? { telemetry } : { logger: false }),
    sessionSecret: SESSION_SECRET,
    serviceKey: SERVICE_KEY,
    requireLoginStart: false,
  });
  const validate = async () => {
    const session = emu.session({ email: "late@example.com" });
    const res = await app.request(`${ORIGIN}/rpc/validateTokenSet`, {
      method: "POST",
      headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        accessToken: session.accessToken,
        refreshToken: session.refreshToken,
      }),
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  };
  return { app, validate };
}

const servers = (spans: InMemorySpanExporter): ReadableSpan[] =>
  spans.getFinishedSpans().filter((s) => s.kind === 1 /* SERVER */);

test("OpenTelemetry registered after the gateway is built: requests still get their spans", async () => {
  trace.disable();
  context.disable();
  const { app, validate } = gatewayOf(true);
  const bare = gatewayOf(false);
  // A request before any SDK: nothing records it (and nothing is there to see).
  await validate();
  await bare.validate();

  const { spans, provider } = sdk();
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  try {
    await validate();
    const seen = servers(spans).filter((s) =>
      s.attributes["http.route"] === "/rpc/validateTokenSet"
    );
    assert.equal(seen.length, 1, "the request after the SDK was registered has its span");
    const parent = seen[0]!.spanContext().spanId;
    const children = spans.getFinishedSpans().filter((s) =>
      s.kind === 2 /* CLIENT */ && s.parentSpanContext?.spanId === parent
    );
    assert.ok(children.length >= 1, "its upstream call is a child span");

    // A gateway that made its own telemetry: its request span too.
    await bare.validate();
    assert.equal(servers(spans).length, 2, "the gateway without a telemetry option too");

    // /health, the cheapest route: a span as well.
    const health = await app.request(`${ORIGIN}/health`);
    assert.equal(health.status, 200);
    assert.equal(servers(spans).length, 3);
  } finally {
    await provider.shutdown();
    trace.disable();
    contextManager.disable();
    context.disable();
  }
});

test("OpenTelemetry restarted after the gateway is built (disabled, another provider registered): spans go to the new one", async () => {
  trace.disable();
  context.disable();
  const first = sdk();
  trace.setGlobalTracerProvider(first.provider);
  const { validate } = gatewayOf(true);
  await validate();
  assert.equal(servers(first.spans).length, 1, "the first provider sees the first request");

  // The SDK is shut down and started again (a new provider).
  await first.provider.shutdown();
  trace.disable();
  const second = sdk();
  trace.setGlobalTracerProvider(second.provider);
  try {
    await validate();
    assert.equal(servers(second.spans).length, 1, "the new provider sees the next request");
  } finally {
    await second.provider.shutdown();
    trace.disable();
  }
});
