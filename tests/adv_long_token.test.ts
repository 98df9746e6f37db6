// Adversarial: an unauthenticated request with a long token (22 000 "%"
// characters, as a Bearer header or a session cookie: under Deno's 64 KiB
// header limit; ~11 000 Latin-1 bytes also do it, under Node's 16 KiB) makes the client's
// scrubber build a RegExp of every secret (the org's secret key, API key,
// signed key, the token) in several encodings; V8 refuses it as too large
// and throws a SyntaxError whose message holds that whole pattern. The error
// is not an AuthLiteError, so authlite() rethrows it: a 500, and Hono's
// default error handler logs it with the organisation's secret key and API
// key in clear. Over real HTTP on loopback.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { memoryStore } from "../src/cache/mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { authlite, requireSession } from "../src/hono/mod.ts";
import { startEmulator } from "./_client_helpers.ts";
import { serve } from "./_serve.ts";

test("adv: a 30 000-character Bearer token is a 401, and no secret reaches the logs", async () => {
  const env = await startEmulator({ client: { tokenCache: memoryStore() } });
  const logged: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    logged.push(
      args.map((a) => a instanceof Error ? `${a.message}\n${a.stack}` : String(a)).join(" "),
    );
  };
  const app = new Hono()
    .use(authlite({ client: env.client }))
    .get("/me", requireSession(), (c) => c.json(c.var.session));
  const server = await serve(app.fetch);
  try {
    const res = await fetch(`${server.url}/me`, {
      headers: { authorization: `Bearer ${"%".repeat(30_000)}` },
    });
    await res.body?.cancel();
    const leaked = logged.filter((l) =>
      l.includes(DEMO_ORG.secretKey) || l.includes(DEMO_ORG.apiKey)
    );
    assert.deepEqual(
      {
        clientError: res.status >= 400 && res.status < 500,
        status: res.status,
        leaked: leaked.length,
      },
      { clientError: true, status: res.status, leaked: 0 },
      `logged: ${logged.map((l) => l.slice(0, 120)).join(" | ")}`,
    );
  } finally {
    console.error = original;
    await server.close();
    await env.close();
  }
});

test("adv: the gateway answers a 30 000-character session cookie with a 401, not a 500", async () => {
  const { startGateway } = await import("./_gateway_fixture.ts");
  const f = await startGateway();
  const server = await serve(f.app.fetch);
  try {
    const res = await fetch(`${server.url}/auth/me`, {
      headers: { cookie: `authlite_access=${"%".repeat(30_000)}` },
    });
    const body = await res.text();
    // 401 (or 431 where the runtime refuses headers this long, as Bun does).
    assert.ok(res.status === 401 || res.status === 431, `${res.status} ${body}`);
  } finally {
    await server.close();
    await f.close();
  }
});

test("scrub() redacts a secret of any length without building a pattern of it, and never throws", async () => {
  const { scrub } = await import("../src/client/_scrub.ts");
  const secret = `S${"%x".repeat(60_000)}`;
  const text = `upstream said: ${secret.toUpperCase()} and ${encodeURIComponent(secret)}`;
  const out = scrub(text, [secret, DEMO_ORG.secretKey, DEMO_ORG.apiKey]);
  assert.ok(!out.toLowerCase().includes(secret.toLowerCase()));
  assert.ok(!out.includes(encodeURIComponent(secret)));
  assert.match(out, /^upstream said: \[redacted\] and \[redacted\]$/);
});
