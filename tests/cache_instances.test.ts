/**
 * Two clients sharing one store, as two instances of a fleet share Redis or
 * Deno KV: refresh coordination, revocations and per-token invalidation,
 * counted at the emulator. The clocks are the harness's: "within 1 s" is one
 * step of 1.01 s of that clock, never a sleep.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteClient } from "../src/client/mod.ts";
import { type KVStore, memoryStore, TokenSetCache } from "../src/cache/mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { AuthLiteError } from "../src/errors.ts";
import { type CacheHarness, RecordingStore, startHarness } from "./_cache_harness.ts";

function client(h: CacheHarness, store: KVStore, claimWaitMs?: number): AuthLiteClient {
  return new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: h.server.url,
    retries: 0,
    now: h.now,
    tokenCache: store,
    ...(claimWaitMs === undefined ? {} : { tokenCacheOptions: { claimWaitMs } }),
  });
}

/** A RecordingStore with an atomic claim, as Redis or Deno KV have. */
class ClaimingStore extends RecordingStore {
  readonly consistency = "strong" as const;
  /** The next claim is lost to a caller that never finishes (`"dead"`) or that already gave up (`"released"`). */
  lose: "dead" | "released" | null = null;
  putIfAbsent(key: string, value: string): Promise<boolean> {
    if (this.mode !== "ok") return Promise.reject(new Error("Store is down"));
    if (this.lose !== null) {
      if (this.lose === "dead") this.map.set(key, "another-instance");
      this.lose = null;
      return Promise.resolve(false);
    }
    if (this.map.has(key)) return Promise.resolve(false);
    this.map.set(key, value);
    return Promise.resolve(true);
  }
}

async function withTwo(
  fn: (h: CacheHarness, a: AuthLiteClient, b: AuthLiteClient, store: KVStore) => Promise<void>,
  store: KVStore = memoryStore(),
): Promise<void> {
  const h = await startHarness({ accessTokenTtlSeconds: 120 });
  try {
    await fn(h, client(h, store), client(h, store), store);
  } finally {
    await h.close();
  }
}

describe("two instances sharing one store", () => {
  for (
    const [name, make] of [["memoryStore()", () => memoryStore()], [
      "a store with putIfAbsent",
      () => new ClaimingStore(),
    ]] as const
  ) {
    test(`validateTokenSet() over ${name}: 16 concurrent callers split across A and B share one refresh`, async () => {
      await withTwo(async (h, a, b) => {
        const s = h.session();
        h.advance(300); // the access token expired
        h.emulator.resetRequests();
        const results = await Promise.all(
          Array.from(
            { length: 16 },
            (_, i) => (i % 2 === 0 ? a : b).validateTokenSet(s.accessToken, s.refreshToken),
          ),
        );
        assert.equal(h.calls().refresh, 1);
        for (const r of results) assert.deepEqual(r, results[0]);
        assert.equal(results[0]?.state, false);
        assert.notEqual(results[0]?.access, s.accessToken);
        // And the new pair is a hit on both.
        const before = h.calls().total;
        assert.equal(
          (await b.validateTokenSet(results[0]!.access, results[0]!.refresh!)).state,
          true,
        );
        assert.equal(
          (await a.validateTokenSet(results[0]!.access, results[0]!.refresh!)).state,
          true,
        );
        assert.equal(h.calls().total, before);
      }, make());
    });
  }

  test("validateTokenSet() refuses on B, within 1 s, a set logged out on A", async () => {
    await withTwo(async (h, a, b) => {
      const s = h.session();
      await a.validateTokenSet(s.accessToken, s.refreshToken);
      await b.validateTokenSet(s.accessToken, s.refreshToken);
      const validations = h.calls().validate;
      await b.validateTokenSet(s.accessToken, s.refreshToken);
      assert.equal(h.calls().validate, validations, "B serves it from its own memory");
      assert.equal(
        await a.revokeToken({ accessToken: s.accessToken, refreshToken: s.refreshToken }),
        true,
      );
      h.advance(1.01);
      await assert.rejects(
        b.validateTokenSet(s.accessToken, s.refreshToken),
        { code: "ERR_INVALID_TOKEN_SET" },
      );
    });
  });

  test("revokeToken({revokeAllTokens}) on A refuses, within 1 s, a session of the user only B has seen", async () => {
    await withTwo(async (h, a, b) => {
      const first = h.emulator.session({ email: "all@example.com" });
      const other = h.emulator.session({ uid: first.uid });
      const stranger = h.session();
      await b.validateTokenSet(other.accessToken, other.refreshToken);
      await b.validateTokenSet(stranger.accessToken, stranger.refreshToken);
      await a.validateTokenSet(first.accessToken, first.refreshToken);
      assert.equal(
        await a.revokeToken({ accessToken: first.accessToken, revokeAllTokens: true }),
        true,
      );
      h.advance(1.01);
      await assert.rejects(
        b.validateTokenSet(other.accessToken, other.refreshToken),
        { code: "ERR_INVALID_TOKEN_SET" },
      );
      // Another user's session stays cached.
      const before = h.calls().total;
      assert.equal(
        (await b.validateTokenSet(stranger.accessToken, stranger.refreshToken)).state,
        true,
      );
      assert.equal(h.calls().total, before);
    });
  });

  test("revokeToken() with a store whose delete fails still refuses the set on both instances", async () => {
    const store = new ClaimingStore();
    await withTwo(async (h, a, b) => {
      const s = h.session();
      await a.validateTokenSet(s.accessToken, s.refreshToken);
      await b.validateTokenSet(s.accessToken, s.refreshToken);
      const realDelete = store.delete.bind(store);
      store.delete = () => Promise.reject(new Error("Store cannot delete"));
      try {
        assert.equal(await a.revokeToken({ accessToken: s.accessToken }), true);
      } finally {
        store.delete = realDelete;
      }
      // The entry is still in the store, but a tombstone stands beside it.
      h.advance(1.01);
      for (const c of [a, b]) {
        await assert.rejects(
          c.validateTokenSet(s.accessToken),
          { code: "ERR_INVALID_TOKEN_SET" },
        );
      }
    }, store);
  });

  test("revokeToken() with a store that fails entirely is still refused on the revoking instance", async () => {
    const store = new ClaimingStore();
    await withTwo(async (h, a) => {
      const s = h.session();
      await a.validateTokenSet(s.accessToken, s.refreshToken);
      store.mode = "throw";
      assert.equal(await a.revokeToken({ accessToken: s.accessToken }), true);
      store.mode = "ok"; // the store comes back with the old entry in it
      await assert.rejects(a.validateTokenSet(s.accessToken), { code: "ERR_INVALID_TOKEN_SET" });
    }, store);
  });

  test("revokeToken() with bogus tokens, in a stream on both instances, leaves another session cached", async () => {
    await withTwo(async (h, a, b) => {
      const s = h.session();
      h.emulator.resetRequests();
      let done = false;
      let logouts = 0;
      const flood = (async () => {
        while (!done) {
          await Promise.all([a, b].map((c) => {
            const bogus = `bogus-${++logouts}-${crypto.randomUUID()}`;
            return c.revokeToken({ accessToken: bogus, refreshToken: bogus }).catch(() => false);
          }));
        }
      })();
      try {
        for (let i = 0; i < 60; i++) {
          const r = await (i % 2 === 0 ? a : b).validateTokenSet(s.accessToken, s.refreshToken);
          assert.equal(r.state, true);
        }
      } finally {
        done = true;
        await flood;
      }
      assert.ok(logouts > 0);
      assert.equal(h.calls().validate, 1);
    });
  });

  test("validateTokenSet() over a store without putIfAbsent hands B the pair A refreshed", async () => {
    // A store with no putIfAbsent (Workers KV): B finds that the access token
    // was refreshed and takes A's pair, with no upstream call.
    await withTwo(async (h, a, b) => {
      const s = h.session();
      h.advance(300);
      h.emulator.resetRequests();
      const fromA = await a.validateTokenSet(s.accessToken, s.refreshToken);
      const fromB = await b.validateTokenSet(s.accessToken, s.refreshToken);
      assert.deepEqual(fromB, fromA);
      assert.equal(h.calls().refresh, 1);
    }, new RecordingStore());
  });

  test("validateTokenSet() refreshes itself when the claim's winner gave up", async () => {
    const store = new ClaimingStore();
    const h = await startHarness({ accessTokenTtlSeconds: 120 });
    try {
      const b = client(h, store, 100);
      const s = h.session();
      h.advance(300);
      h.emulator.resetRequests();
      store.lose = "released";
      const r = await b.validateTokenSet(s.accessToken, s.refreshToken);
      assert.equal(r.state, false);
      assert.equal(h.calls().refresh, 1);
    } finally {
      await h.close();
    }
  });

  // Issue 17: a refresh token is presented upstream only by the holder of its
  // claim. A winner that never finishes holds it until it expires (10 s):
  // meanwhile the refresh is deferred (503, the session kept), not redeemed
  // a second time (until this round, the loser redeemed it after claimWaitMs).
  test("validateTokenSet() defers, without redeeming, while the claim's winner never finishes", async () => {
    const store = new ClaimingStore();
    const h = await startHarness({ accessTokenTtlSeconds: 120 });
    try {
      const b = client(h, store, 100);
      const s = h.session();
      h.advance(300);
      h.emulator.resetRequests();
      store.lose = "dead";
      await assert.rejects(
        b.validateTokenSet(s.accessToken, s.refreshToken),
        (err: unknown) => err instanceof AuthLiteError && err.code === "ERR_UNAVAILABLE",
      );
      assert.equal(h.calls().refresh, 0);
    } finally {
      await h.close();
    }
  });
  test("revokeToken() of a pair that was just refreshed reads the refreshed marker as no garbage", async () => {
    const h = await startHarness({ accessTokenTtlSeconds: 120 });
    try {
      const events: unknown[] = [];
      const c = new AuthLiteClient({
        apiKey: DEMO_ORG.apiKey,
        secretKey: DEMO_ORG.secretKey,
        orgId: DEMO_ORG.orgId,
        baseUrl: h.server.url,
        retries: 0,
        now: h.now,
        tokenCache: memoryStore(),
        tokenCacheOptions: { onError: (e) => events.push(e) },
      });
      const s = h.session();
      h.advance(300);
      await c.validateTokenSet(s.accessToken, s.refreshToken);
      // Upstream fails the revoke, so the cache looks for the tokens itself.
      h.emulator.inject({ kind: "status", status: 503, path: "/api/user/me/token/" });
      await assert.rejects(
        c.revokeToken({ accessToken: s.accessToken, refreshToken: s.refreshToken }),
      );
      assert.deepEqual(events, []);
    } finally {
      await h.close();
    }
  });
});

describe("TokenSetCache's in-process layer", () => {
  test("wrap().validate() keeps at most maxEntries and maxBytes in process", async () => {
    for (const memoryLayer of [{ maxEntries: 2 }, { maxBytes: 600 }]) {
      const cache = new TokenSetCache({ store: memoryStore(), secretKey: "s", memoryLayer });
      const up = cache.wrap({
        validate: () => Promise.resolve(true),
        refresh: () => Promise.reject(new Error("Not used")),
      });
      const tokens = ["a", "b", "c"].map((c) => c.repeat(200));
      for (const t of tokens) await up.validate(t);
      assert.equal(cache.stats().memoryHits, 0);
      await up.validate(tokens[2]!);
      assert.equal(cache.stats().memoryHits, 1, "the newest is in process");
      await up.validate(tokens[0]!);
      assert.equal(cache.stats().memoryHits, 1, "the oldest was evicted");
      assert.equal(cache.stats().storeHits, 1, "and found in the store");
      assert.equal(cache.stats().upstreamValidations, 3);
    }
  });
});
