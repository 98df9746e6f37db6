import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteClient, AuthLiteTokenSetError, memoryStore } from "../mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { RecordingStore, startHarness } from "./_cache_harness.ts";
import type { CacheHarness } from "./_cache_harness.ts";
import type { KVStore } from "../src/cache/store.ts";

function client(h: CacheHarness, tokenCache: KVStore): AuthLiteClient {
  return new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: h.server.url,
    now: h.now,
    retries: 0,
    tokenCache,
  });
}

describe("AuthLiteClient with tokenCache", () => {
  test("validateTokenSet() makes zero upstream calls for a cached good token set", async () => {
    const h = await startHarness();
    try {
      const c = client(h, memoryStore({ now: h.now }));
      const s = h.session();
      h.emulator.resetRequests();
      const first = await c.validateTokenSet(s.accessToken, s.refreshToken);
      assert.deepEqual(first, { state: true, access: s.accessToken, refresh: s.refreshToken });
      assert.equal(h.calls().total, 1);
      assert.deepEqual(await c.validateTokenSet(s.accessToken, s.refreshToken), first);
      assert.equal(await c.validateAccessToken(s.accessToken), true);
      assert.equal(h.calls().total, 1);
    } finally {
      await h.close();
    }
  });

  test("validateTokenSet() refreshes once for 100 concurrent callers with an expired access token", async () => {
    const h = await startHarness({ accessTokenTtlSeconds: 120 });
    try {
      const c = client(h, memoryStore({ now: h.now }));
      const s = h.session();
      h.advance(300);
      h.emulator.resetRequests();
      const results = await Promise.all(
        Array.from({ length: 100 }, () => c.validateTokenSet(s.accessToken, s.refreshToken)),
      );
      assert.deepEqual(h.calls(), { validate: 1, refresh: 1, total: 2 });
      const first = results[0];
      assert.ok(first !== undefined && first.state === false);
      for (const r of results) assert.deepEqual(r, first);
      // A caller a moment later with the rotated refresh token gets the same pair.
      h.advance(2);
      assert.deepEqual(await c.validateTokenSet(s.accessToken, s.refreshToken), first);
      // The new pair is valid without an upstream call.
      assert.equal(
        (await c.validateTokenSet(first.access, first.refresh ?? undefined)).state,
        true,
      );
      assert.deepEqual(h.calls(), { validate: 1, refresh: 1, total: 2 });
    } finally {
      await h.close();
    }
  });

  test("revokeToken() makes the next validation go upstream", async () => {
    const h = await startHarness();
    try {
      const shared = new RecordingStore();
      const c = client(h, shared);
      const other = client(h, shared); // another process sharing the store
      const s = h.session();
      assert.equal((await c.validateTokenSet(s.accessToken, s.refreshToken)).state, true);
      assert.equal(
        await c.revokeToken({ accessToken: s.accessToken, refreshToken: s.refreshToken }),
        true,
      );
      h.emulator.resetRequests();
      await assert.rejects(
        c.validateTokenSet(s.accessToken, s.refreshToken),
        AuthLiteTokenSetError,
      );
      assert.deepEqual(h.calls(), { validate: 1, refresh: 1, total: 2 });
      assert.equal(await other.validateAccessToken(s.accessToken), false);
      assert.equal(h.calls().validate, 2);
    } finally {
      await h.close();
    }
  });
});
