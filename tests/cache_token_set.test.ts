import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TokenSetCache } from "../src/cache/token_set_cache.ts";
import { memoryStore } from "../src/cache/memory_store.ts";
import type { KVStore } from "../src/cache/store.ts";
import { AuthLiteError, AuthLiteTokenSetError } from "../src/errors.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { type CacheHarness, RecordingStore, startHarness } from "./_cache_harness.ts";
import { checkSet, checkToken } from "./_cache_calls.ts";

const secretKey = DEMO_ORG.secretKey;

/** A harness and a cache over a `memoryStore()` on its clock; closed after `run`. */
async function withMemoryCache(
  options: Parameters<typeof startHarness>[0],
  run: (h: CacheHarness, cache: TokenSetCache) => Promise<void>,
): Promise<void> {
  const h = await startHarness(options);
  try {
    await run(h, new TokenSetCache({ store: memoryStore({ now: h.now }), secretKey, now: h.now }));
  } finally {
    await h.close();
  }
}

/**
 * Two instances (caches) sharing `store` (a `memoryStore()` on the harness's
 * clock by default), and a session whose access token has expired while its
 * refresh token has not; the emulator's request counts start after it.
 */
async function withTwoInstances(
  run: (
    h: CacheHarness,
    a: TokenSetCache,
    b: TokenSetCache,
    s: { accessToken: string; refreshToken: string },
  ) => Promise<void>,
  storeOf: (h: CacheHarness) => KVStore = (h) => memoryStore({ now: h.now }),
): Promise<void> {
  const h = await startHarness({ accessTokenTtlSeconds: 120 });
  try {
    const store = storeOf(h);
    const a = new TokenSetCache({ store, secretKey, now: h.now });
    const b = new TokenSetCache({ store, secretKey, now: h.now });
    const s = h.session();
    h.advance(300);
    h.emulator.resetRequests();
    await run(h, a, b, s);
  } finally {
    await h.close();
  }
}

describe("TokenSetCache against the emulator", () => {
  test("validateTokenSet() makes zero upstream calls the second time", async () => {
    await withMemoryCache({}, async (h, cache) => {
      const s = h.session();
      h.emulator.resetRequests();
      const first = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.deepEqual(first, { state: true, access: s.accessToken, refresh: s.refreshToken });
      assert.equal(h.calls().total, 1);
      const second = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.deepEqual(second, first);
      assert.equal(await checkToken(cache, s.accessToken, h.upstream), true);
      assert.equal(h.calls().total, 1);
    });
  });

  test("validateTokenSet() refreshes an expired access token once for 100 concurrent callers", async () => {
    await withMemoryCache({ accessTokenTtlSeconds: 120 }, async (h, cache) => {
      const s = h.session();
      h.advance(300); // the access token has expired, the refresh token has not
      h.emulator.resetRequests();
      const results = await Promise.all(
        Array.from(
          { length: 100 },
          () => checkSet(cache, s.accessToken, s.refreshToken, h.upstream),
        ),
      );
      assert.deepEqual(h.calls(), { validate: 1, refresh: 1, total: 2 });
      const first = results[0];
      assert.ok(first !== undefined);
      assert.equal(first.state, false);
      assert.notEqual(first.access, s.accessToken);
      assert.notEqual(first.refresh, s.refreshToken);
      for (const r of results) assert.deepEqual(r, first);
      // The new pair is cached as valid: no further upstream call.
      const again = await checkSet(cache, first.access, first.refresh ?? undefined, h.upstream);
      assert.equal(again.state, true);
      assert.deepEqual(h.calls(), { validate: 1, refresh: 1, total: 2 });
    });
  });

  test("validateTokenSet() hands the rotated pair to a caller arriving late with the old refresh token", async () => {
    await withMemoryCache({ accessTokenTtlSeconds: 120 }, async (h, cache) => {
      const s = h.session();
      h.advance(300);
      h.emulator.resetRequests();
      const first = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      h.advance(5); // inside the 30 s grace window
      const late = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.deepEqual(late, first);
      assert.deepEqual(h.calls(), { validate: 1, refresh: 1, total: 2 });
      assert.equal(cache.stats().graceHits, 1);
      // After the grace window the old refresh token goes upstream again (and fails there).
      h.advance(60);
      await assert.rejects(checkSet(cache, s.accessToken, s.refreshToken, h.upstream));
      assert.equal(h.calls().refresh, 2);
    });
  });

  test("validateTokenSet() shares the grace window between processes through the store", async () => {
    const h = await startHarness({ accessTokenTtlSeconds: 120 });
    try {
      const shared = new RecordingStore();
      const a = new TokenSetCache({ store: shared, secretKey, now: h.now });
      const b = new TokenSetCache({ store: shared, secretKey, now: h.now });
      const s = h.session();
      h.advance(300);
      h.emulator.resetRequests();
      const fromA = await checkSet(a, s.accessToken, s.refreshToken, h.upstream);
      const fromB = await checkSet(b, s.accessToken, s.refreshToken, h.upstream);
      assert.deepEqual(fromB, fromA);
      assert.deepEqual(h.calls(), { validate: 1, refresh: 1, total: 2 });
    } finally {
      await h.close();
    }
  });

  test("validateTokenSet() on a store without claims: a validation that read before the refresh recorded does not redeem the token again", async () => {
    // Workers KV has no atomic write. In one process, a caller whose store read
    // began while another caller's refresh was upstream, and whose own refresh
    // starts after that one ended, gets the pair it recorded (seen in workerd:
    // 20 concurrent requests, 2 refreshes upstream).
    const h = await startHarness({ accessTokenTtlSeconds: 120 });
    try {
      let gate: Promise<void> | null = null;
      let held = 0;
      class GatedStore extends RecordingStore {
        override get(key: string): Promise<string | null> {
          const read = super.get(key);
          if (gate === null) return read;
          held++;
          const wait = gate;
          return read.then(async (value) => (await wait, value));
        }
      }
      const cache = new TokenSetCache({ store: new GatedStore(), secretKey, now: h.now });
      const s = h.session();
      h.advance(300); // the access token has expired, the refresh token has not
      h.emulator.resetRequests();
      let open = () => {};
      let late: Promise<unknown> | null = null;
      const upstream = {
        ...h.upstream,
        refresh: async (refreshToken: string, accessToken?: string) => {
          if (late === null) {
            // The first caller's refresh is upstream: a second caller reads now,
            // and its read answers only once the first caller is done.
            gate = new Promise<void>((resolve) => (open = resolve));
            late = checkSet(cache, s.accessToken, s.refreshToken, upstream);
            while (held === 0) await new Promise((r) => setTimeout(r, 1));
            gate = null;
          }
          return await h.upstream.refresh(refreshToken, accessToken);
        },
      };
      const first = await checkSet(cache, s.accessToken, s.refreshToken, upstream);
      open();
      assert.ok(late !== null);
      assert.deepEqual(await late, first);
      assert.equal(h.calls().refresh, 1, "the refresh token was presented once");
    } finally {
      await h.close();
    }
  });

  test("validateTokenSet(): a refresh slower upstream than its claim's lifetime keeps its claim; another instance waits for its pair", async () => {
    // Two instances share a store with claims. The first one's refresh is slow
    // upstream (throttled, retrying): longer than the claim's 10 s. The claim is
    // renewed while it waits, so the second instance does not present the token.
    await withTwoInstances(async (h, a, b, s) => {
      let second: Promise<unknown> | null = null;
      const slow = {
        ...h.upstream,
        refresh: async (refreshToken: string, accessToken?: string) => {
          h.advance(8);
          await new Promise((r) => setTimeout(r, 3300)); // one renewal (every 3 s)
          h.advance(5); // 13 s after the claim was made
          second = checkSet(b, s.accessToken, s.refreshToken, h.upstream);
          await new Promise((r) => setTimeout(r, 200));
          return await h.upstream.refresh(refreshToken, accessToken);
        },
      };
      const first = await checkSet(a, s.accessToken, s.refreshToken, slow);
      assert.ok(second !== null);
      assert.deepEqual(await second, first);
      assert.equal(h.calls().refresh, 1, "the refresh token was presented once");
    });
  });

  test("validateTokenSet(): a refresh that never answers upstream stops renewing its claim after 60 s; another instance then refreshes", async () => {
    await withTwoInstances(async (h, a, b, s) => {
      let called = () => {};
      const upstreamCalled = new Promise<void>((resolve) => (called = resolve));
      let fail = (_: Error) => {};
      const hung = {
        ...h.upstream,
        refresh: () => {
          called();
          return new Promise<never>((_, reject) => (fail = reject));
        },
      };
      const stuck = checkSet(a, s.accessToken, s.refreshToken, hung).catch((e) => e);
      await upstreamCalled;
      h.advance(61); // past the renewals' 60 s
      await new Promise((r) => setTimeout(r, 3300)); // the next renewal tick stops them
      const pair = await checkSet(b, s.accessToken, s.refreshToken, h.upstream);
      assert.equal(pair.state, false);
      assert.notEqual(pair.access, s.accessToken);
      assert.equal(h.calls().refresh, 1);
      fail(new Error("gave up"));
      assert.ok((await stuck) instanceof Error);
    });
  });

  test("validateTokenSet(): another instance that reads the grace pair while the new access token's entry is being written does not present the spent refresh token", async () => {
    let hold: ((release: Promise<void>) => void) | null = null;
    let release = () => {};
    /** A store whose first write after `hold` is set waits for `release`. */
    const slowFirstWrite = (h: CacheHarness): KVStore => {
      const inner = memoryStore({ now: h.now });
      return {
        get: (key) => inner.get(key),
        getMany: (keys) => inner.getMany!(keys),
        delete: (key) => inner.delete(key),
        putIfAbsent: (key, value, options) => inner.putIfAbsent!(key, value, options),
        put: async (key, value, options) => {
          const held = hold;
          hold = null;
          if (held !== null) {
            const gate = new Promise<void>((resolve) => (release = resolve));
            held(gate);
            await gate;
          }
          return await inner.put(key, value, options);
        },
      };
    };
    await withTwoInstances(async (h, a, b, s) => {
      let second: Promise<unknown> | null = null;
      const upstream = {
        ...h.upstream,
        refresh: async (refreshToken: string, accessToken?: string) => {
          const pair = await h.upstream.refresh(refreshToken, accessToken);
          // The first write of the refresh's outcome is slow; meanwhile the other
          // instance comes with the old pair.
          hold = () => {
            second = checkSet(b, s.accessToken, s.refreshToken, h.upstream).catch((e) => e);
            setTimeout(() => release(), 300);
          };
          return pair;
        },
      };
      const first = await checkSet(a, s.accessToken, s.refreshToken, upstream);
      assert.ok(second !== null);
      assert.deepEqual(await second, first);
      assert.equal(h.calls().refresh, 1, "the refresh token was presented once");
    }, slowFirstWrite);
  });

  test("forget() sends the next validation upstream", async () => {
    await withMemoryCache({}, async (h, cache) => {
      const s = h.session();
      h.emulator.resetRequests();
      await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.equal(h.calls().validate, 1);
      await cache.forget([s.accessToken, s.refreshToken]);
      await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.equal(h.calls().validate, 2);
    });
  });

  test("forget() in one process reaches another process sharing the store", async () => {
    const h = await startHarness();
    try {
      const shared = new RecordingStore();
      const a = new TokenSetCache({ store: shared, secretKey, now: h.now });
      const b = new TokenSetCache({ store: shared, secretKey, now: h.now, memoryLayer: false });
      const s = h.session();
      h.emulator.resetRequests();
      await checkToken(a, s.accessToken, h.upstream);
      assert.equal(await checkToken(b, s.accessToken, h.upstream), true);
      assert.equal(h.calls().validate, 1); // b found a's entry in the store
      await a.forget([s.accessToken]);
      assert.equal(await checkToken(b, s.accessToken, h.upstream), true);
      assert.equal(h.calls().validate, 2);
    } finally {
      await h.close();
    }
  });

  test("validateAccessToken() serves from the in-process layer without touching the store", async () => {
    const h = await startHarness();
    try {
      const shared = new RecordingStore();
      const cache = new TokenSetCache({ store: shared, secretKey, now: h.now });
      const other = new TokenSetCache({ store: shared, secretKey, now: h.now });
      const s = h.session();
      await checkToken(cache, s.accessToken, h.upstream);
      const before = shared.log.length;
      for (let i = 0; i < 5; i++) await checkToken(cache, s.accessToken, h.upstream);
      assert.equal(shared.log.length, before);
      assert.equal(cache.stats().memoryHits, 5);
      // The in-process layer holds an entry only briefly (5 s by default):
      // after that another process's forget() is seen.
      await other.forget([s.accessToken]);
      h.emulator.resetRequests();
      assert.equal(await checkToken(cache, s.accessToken, h.upstream), true);
      assert.equal(h.calls().validate, 0);
      h.advance(6);
      assert.equal(await checkToken(cache, s.accessToken, h.upstream), true);
      assert.equal(h.calls().validate, 1);
    } finally {
      await h.close();
    }
  });

  test("validateTokenSet() does not serve an expired entry", async () => {
    const h = await startHarness();
    try {
      // A store that keeps entries for a long time (as Workers KV does, 60 s
      // minimum): the expiry inside the value must still hold.
      const shared = new RecordingStore();
      const cache = new TokenSetCache({
        store: shared,
        secretKey,
        now: h.now,
        ttlSeconds: 10,
        memoryLayer: false,
      });
      const s = h.session();
      h.emulator.resetRequests();
      await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      h.advance(9);
      await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.equal(h.calls().validate, 1);
      h.advance(2);
      await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.equal(h.calls().validate, 2);
    } finally {
      await h.close();
    }
  });

  test("validateTokenSet() never caches beyond the access token's own expiry", async () => {
    const h = await startHarness({ accessTokenTtlSeconds: 20 });
    try {
      const shared = new RecordingStore();
      const cache = new TokenSetCache({ store: shared, secretKey, now: h.now, ttlSeconds: 3600 });
      const s = h.session();
      h.emulator.resetRequests();
      assert.equal(
        (await checkSet(cache, s.accessToken, s.refreshToken, h.upstream)).state,
        true,
      );
      h.advance(19);
      assert.equal(
        (await checkSet(cache, s.accessToken, s.refreshToken, h.upstream)).state,
        true,
      );
      assert.equal(h.calls().total, 1);
      h.advance(2); // past exp: upstream says invalid, the cache refreshes
      const r = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
      assert.equal(r.state, false);
      assert.deepEqual(h.calls(), { validate: 2, refresh: 1, total: 3 });
    } finally {
      await h.close();
    }
  });

  test("validateTokenSet() throws AuthLiteTokenSetError for an invalid access token without refresh token", async () => {
    await withMemoryCache({ accessTokenTtlSeconds: 60 }, async (h, cache) => {
      const s = h.session();
      h.advance(120);
      await assert.rejects(
        checkSet(cache, s.accessToken, undefined, h.upstream),
        AuthLiteTokenSetError,
      );
      assert.equal(await checkToken(cache, s.accessToken, h.upstream), false);
    });
  });
});

describe("TokenSetCache with a failing store", () => {
  for (const mode of ["throw", "hang", "garbage"] as const) {
    test(
      `validateTokenSet() degrades to upstream calls when the store ${
        mode === "hang" ? "times out" : mode === "throw" ? "throws" : "returns garbage"
      }`,
      async () => {
        const h = await startHarness();
        try {
          const store = new RecordingStore();
          const events: string[] = [];
          const cache = new TokenSetCache({
            store,
            secretKey,
            now: h.now,
            memoryLayer: false,
            storeTimeoutMs: 20,
            onError: (e) => events.push(`${e.operation}:${e.reason}`),
          });
          const s = h.session();
          await checkSet(cache, s.accessToken, s.refreshToken, h.upstream); // cached
          store.mode = mode;
          h.emulator.resetRequests();
          for (let i = 0; i < 3; i++) {
            const r = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
            assert.equal(r.state, true);
          }
          assert.equal(h.calls().validate, 3);
          const reason = mode === "hang" ? "timeout" : mode === "throw" ? "error" : "garbage";
          assert.ok(events.includes(`get:${reason}`), events.join(","));
          // An expired token is never "valid" because of the store: upstream says no, the set is refreshed.
          h.advance(7200);
          const r = await checkSet(cache, s.accessToken, s.refreshToken, h.upstream);
          assert.equal(r.state, false);
        } finally {
          await h.close();
        }
      },
    );
  }

  test("forget() reports a failing store through onError and does not throw", async () => {
    const store = new RecordingStore();
    store.mode = "throw";
    const events: unknown[] = [];
    const cache = new TokenSetCache({ store, secretKey, onError: (e) => events.push(e) });
    await cache.forget(["a-token"]);
    // Is the token known (a get), then the access entry and the grace entry
    // deleted, each tried three times.
    assert.equal(events.length, 7);
    assert.ok(!JSON.stringify(events).includes("a-token"));
  });

  test("validateTokenSet() survives an onError hook that throws", async () => {
    const store = new RecordingStore();
    store.mode = "throw";
    const cache = new TokenSetCache({
      store,
      secretKey,
      onError: () => {
        throw new Error("Hook failed");
      },
    });
    let calls = 0;
    const upstream = {
      validate: () => Promise.resolve(++calls > 0),
      refresh: () => Promise.reject(new Error("Not used")),
    };
    assert.equal((await checkSet(cache, "t", "r", upstream)).state, true);
    assert.equal(calls, 1);
  });
});

describe("TokenSetCache options", () => {
  test("new TokenSetCache() rejects a bad configuration with ERR_CONFIG", () => {
    const store = memoryStore();
    const bad: unknown[] = [
      { store, secretKey: "" },
      { store: {}, secretKey },
      { store, secretKey, ttlSeconds: 0 },
      { store, secretKey, graceSeconds: -1 },
      { store, secretKey, storeTimeoutMs: Number.NaN },
      { store: new RecordingStore(), secretKey, memoryLayer: { maxEntries: 0 } },
    ];
    for (const options of bad) {
      assert.throws(
        () => new TokenSetCache(options as ConstructorParameters<typeof TokenSetCache>[0]),
        (err: unknown) => err instanceof AuthLiteError && err.code === "ERR_CONFIG",
      );
    }
  });

  test("validateTokenSet() rejects an empty token with ERR_BAD_INPUT before any call", async () => {
    let calls = 0;
    const upstream = {
      validate: () => Promise.resolve(++calls > 0),
      refresh: () => Promise.reject(new Error("Not used")),
    };
    const cache = new TokenSetCache({ store: memoryStore(), secretKey });
    await assert.rejects(
      checkSet(cache, "", undefined, upstream),
      (err: unknown) => err instanceof AuthLiteError && err.code === "ERR_BAD_INPUT",
    );
    assert.equal(calls, 0);
  });

  test("validateTokenSet() passes an upstream outage through without caching it", async () => {
    let calls = 0;
    const upstream = {
      validate: () => {
        calls++;
        return Promise.reject(new Error("Upstream down"));
      },
      refresh: () => Promise.reject(new Error("Not used")),
    };
    const cache = new TokenSetCache({ store: memoryStore(), secretKey });
    await assert.rejects(checkSet(cache, "t", "r", upstream), /Upstream down/);
    await assert.rejects(checkSet(cache, "t", "r", upstream), /Upstream down/);
    assert.equal(calls, 2);
  });
});

describe("TokenSetCache grace window and revocation", () => {
  async function refreshed() {
    const h = await startHarness({ accessTokenTtlSeconds: 120 });
    const cache = new TokenSetCache({ store: memoryStore({ now: h.now }), secretKey, now: h.now });
    const old = h.session();
    h.advance(300);
    const next = await checkSet(cache, old.accessToken, old.refreshToken, h.upstream);
    assert.equal(next.state, false);
    return { h, cache, old, next };
  }

  test("validateTokenSet() gives the rotated pair to the old refresh token only with the old access token", async () => {
    const { h, cache, old, next } = await refreshed();
    try {
      const late = await checkSet(cache, old.accessToken, old.refreshToken, h.upstream);
      assert.deepEqual(late, next);
      // Not from the grace entry: upstream is asked, and refuses the rotated refresh token.
      await assert.rejects(
        checkSet(cache, "not-a-token-at-all", old.refreshToken, h.upstream),
        /Refresh failed: 401/,
      );
    } finally {
      await h.close();
    }
  });

  test("validateTokenSet() closes the grace window when the new pair is revoked (a logout)", async () => {
    const { h, cache, old, next } = await refreshed();
    try {
      await cache.forget([next.access, next.refresh ?? ""]);
      await assert.rejects(
        checkSet(cache, old.accessToken, old.refreshToken, h.upstream),
        /Refresh failed: 401/,
      );
    } finally {
      await h.close();
    }
  });

  test("forget() during a write in flight wins: the entry is not left in the store", async () => {
    const h = await startHarness();
    try {
      const map = new Map<string, string>();
      let open = () => {};
      const gate = new Promise<void>((resolve) => (open = resolve));
      let putStarted = () => {};
      const started = new Promise<void>((resolve) => (putStarted = resolve));
      const store = {
        get: (key: string) => Promise.resolve(map.get(key) ?? null),
        put: async (key: string, value: string) => {
          putStarted();
          await gate;
          map.set(key, value);
        },
        delete: (key: string) => Promise.resolve(void map.delete(key)),
      };
      const cache = new TokenSetCache({ store, secretKey, now: h.now, memoryLayer: false });
      const s = h.session();
      const first = checkToken(cache, s.accessToken, h.upstream); // put held
      await started;
      await cache.forget([s.accessToken]); // the delete lands before the held put
      open();
      assert.equal(await first, true);
      assert.equal(map.size, 0, "the put that lost the race was deleted again");
      h.emulator.resetRequests();
      await checkToken(cache, s.accessToken, h.upstream);
      assert.equal(h.calls().validate, 1, "the next validation went upstream");
    } finally {
      await h.close();
    }
  });
});
