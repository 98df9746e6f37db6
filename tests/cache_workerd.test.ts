import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { VALIDATE_PATH } from "./_http_upstream.ts";

// The Worker of tests/fixtures/cache_worker.ts, bundled by esbuild and run in
// workerd by Miniflare with a real KV binding. Its upstream is the emulator,
// reached through a service binding that runs in this process.

async function startWorker() {
  const entry = fileURLToPath(new URL("./fixtures/cache_worker.ts", import.meta.url));
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const script = out.outputFiles[0]?.text ?? "";
  const base = Date.now();
  const emulator = createEmulator({ now: () => base });
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2025-01-01",
    kvNamespaces: ["KV"],
    bindings: { API_KEY: DEMO_ORG.apiKey, SECRET_KEY: DEMO_ORG.secretKey },
    serviceBindings: { UPSTREAM: (req: Request) => emulator.fetch(req) },
  });
  const call = async (path: string, body: unknown = {}) => {
    const res = await mf.dispatchFetch(`http://worker.test${path}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    // deno-lint-ignore no-explicit-any
    return JSON.parse(text) as any;
  };
  return { mf, emulator, call };
}

describe("cloudflareKVStore() and TokenSetCache inside workerd", () => {
  test("cloudflareKVStore() puts, gets and deletes with a real KV binding, TTL rounded up to 60 s", async () => {
    const { mf, call } = await startWorker();
    try {
      await call("/kv/put", { key: "k1", value: "v1", ttl: 5 });
      assert.deepEqual(await call("/kv/get", { key: "k1" }), { value: "v1" });
      const dump = await call("/kv/dump");
      const entry = dump.entries.find((e: { name: string }) => e.name === "k1");
      const remaining = entry.expiration - Math.floor(dump.now / 1000);
      assert.ok(remaining >= 59 && remaining <= 61, `expiration in ${remaining} s`);
      await call("/kv/delete", { key: "k1" });
      assert.deepEqual(await call("/kv/get", { key: "k1" }), { value: null });
    } finally {
      await mf.dispose();
    }
  });

  test("validateTokenSet() is a KV hit inside workerd, expires by the value's clock, and forget() reaches KV", async () => {
    const { mf, emulator, call } = await startWorker();
    try {
      const s = emulator.session({ email: "worker@example.com" });
      const validations = () => emulator.requests().byPath[VALIDATE_PATH] ?? 0;
      const set = { access: s.accessToken, refresh: s.refreshToken };
      const first = await call("/validate", set);
      assert.deepEqual(first.result, {
        state: true,
        access: s.accessToken,
        refresh: s.refreshToken,
      });
      assert.equal(validations(), 1);
      const second = await call("/validate", set);
      assert.equal(second.result.state, true);
      assert.equal(second.stats.storeHits, 1);
      assert.equal(validations(), 1);

      // Nothing in the namespace holds a token or the secret.
      const dump = await call("/kv/dump");
      assert.equal(dump.entries.length, 1);
      for (const e of dump.entries) {
        assert.match(e.name, /^authlite:ts:v1:at:/);
        for (const secret of [s.accessToken, s.refreshToken, DEMO_ORG.secretKey]) {
          assert.ok(!e.name.includes(secret) && !e.value.includes(secret));
        }
      }

      // ttlSeconds is 10: KV keeps the entry 60 s, the cache stops serving it after 10.
      await call("/clock", { advanceSeconds: 11 });
      await call("/validate", set);
      assert.equal(validations(), 2);
      await call("/validate", set);
      assert.equal(validations(), 2);

      await call("/forget", { tokens: [s.accessToken] });
      // The entry is gone; a tombstone (the token was cached as valid) stays in its place.
      const after = (await call("/kv/dump")).entries as Array<{ name: string }>;
      assert.deepEqual(after.map((e) => e.name.replace(/:[^:]+$/, "")), ["authlite:ts:v1:rv"]);
      await call("/validate", set);
      assert.equal(validations(), 3);
    } finally {
      await mf.dispose();
    }
  });
});
