/**
 * The token-set cache in bad weather (issue 17, the store side): a store that
 * fails on command, shared by two caches (two instances), refreshes counted
 * at the emulator and store calls counted at the store, never timed.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type KVStore, memoryStore, TokenSetCache } from "../src/cache/mod.ts";
import { AuthLiteError, AuthLiteTokenSetError, AuthLiteUnavailableError } from "../src/errors.ts";
import type { AuthLiteEvent } from "../src/_events.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { startHarness } from "./_cache_harness.ts";
import { checkSet } from "./_cache_calls.ts";

const secretKey = DEMO_ORG.secretKey;

/** A remote-like store over memory whose calls fail on command, counting the calls that reach it. */
function failingStore(): {
  store: KVStore;
  down: { all: boolean; claims: boolean };
  calls: number;
} {
  const inner = memoryStore();
  const state = {
    store: undefined as unknown as KVStore,
    down: { all: false, claims: false },
    calls: 0,
  };
  const gate = <T>(claim: boolean, fn: () => Promise<T>): Promise<T> => {
    state.calls++;
    if (state.down.all || (claim && state.down.claims)) {
      return Promise.reject(new Error("Store is down"));
    }
    return fn();
  };
  state.store = {
    consistency: "strong",
    get: (k) => gate(false, () => inner.get(k)),
    put: (k, v, o) => gate(false, () => inner.put(k, v, o)),
    delete: (k) => gate(false, () => inner.delete(k)),
    putIfAbsent: (k, v, o) => gate(true, () => inner.putIfAbsent(k, v, o)),
  };
  return state;
}

const isUnavailable = (err: unknown) =>
  err instanceof AuthLiteUnavailableError && err.code === "ERR_UNAVAILABLE" &&
  err.retryAfterSeconds >= 1;

describe("TokenSetCache when the store fails", () => {
  for (const outage of ["all", "claims"] as const) {
    test(`validateTokenSet() on two caches never redeems one refresh token twice while the store fails (${outage === "all" ? "every call" : "only claims"})`, async () => {
      const h = await startHarness({ accessTokenTtlSeconds: 120 });
      try {
        const shared = failingStore();
        const options = {
          store: shared.store,
          secretKey,
          now: h.now,
          storeBreaker: false,
        } as const;
        const a = new TokenSetCache(options);
        const b = new TokenSetCache(options);
        const s = h.session();
        h.advance(300); // the access token expired; the refresh token is good
        h.emulator.resetRequests();
        shared.down[outage] = true;
        const during = await Promise.allSettled(
          Array.from(
            { length: 8 },
            (_, i) => checkSet(i % 2 === 0 ? a : b, s.accessToken, s.refreshToken, h.upstream),
          ),
        );
        assert.equal(h.calls().refresh, 0, "a refresh token presented without its claim");
        for (const r of during) {
          assert.equal(r.status, "rejected");
          assert.ok(isUnavailable(r.status === "rejected" ? r.reason : null), String(r));
        }
        // The store is back: one redemption, the same pair for every caller, nobody logged out.
        shared.down[outage] = false;
        const after = await Promise.all(
          Array.from(
            { length: 8 },
            (_, i) => checkSet(i % 2 === 0 ? a : b, s.accessToken, s.refreshToken, h.upstream),
          ),
        );
        assert.equal(h.calls().refresh, 1);
        for (const r of after) assert.deepEqual(r, after[0]);
        assert.equal(after[0]?.state, false);
      } finally {
        await h.close();
      }
    });
  }

  test("the store's breaker opens after 5 failures in a row: later calls never reach the store", async () => {
    const shared = failingStore();
    const events: AuthLiteEvent[] = [];
    const cache = new TokenSetCache({
      store: shared.store,
      secretKey,
      memoryLayer: false,
      storeBreaker: { failures: 5, halfOpenAfterMs: 60_000 },
      observe: (e) => events.push(e),
    });
    let validations = 0;
    const upstream = cache.wrap({
      validate: () => Promise.resolve(++validations > 0),
      refresh: () => Promise.reject(new Error("Not used")),
    });
    shared.down.all = true;
    for (let i = 0; i < 20; i++) assert.equal(await upstream.validate(`token-${i}`), true);
    assert.equal(validations, 20, "every lookup a miss, answered upstream");
    assert.equal(shared.calls, 5, "store calls made");
    const stats = cache.stats();
    assert.equal(stats.storeErrors, 5);
    assert.ok(stats.storeRejections >= 20 * 3 - 5, `rejections: ${stats.storeRejections}`);
    const breaker = events.filter((e) => e.type === "breaker");
    assert.deepEqual(breaker, [{ type: "breaker", name: "store", state: "open" }]);
    const store = events.filter((e) => e.type === "store");
    assert.ok(store.some((e) => e.type === "store" && e.outcome === "rejected-open"));
    // A refresh while the breaker is open: deferred at once, the token never presented.
    let refreshes = 0;
    const cached = cache.wrap({
      validate: () => Promise.resolve(false),
      refresh: () => Promise.resolve({ accessToken: `a${++refreshes}`, refreshToken: "r" }),
    });
    const before = shared.calls;
    await assert.rejects(cached.refresh("refresh-token", "access-token"), isUnavailable);
    assert.equal(refreshes, 0);
    assert.equal(shared.calls, before, "no store call while the breaker is open");
  });

  test("the store's breaker lets one probe through after halfOpenAfterMs and closes when it answers", async () => {
    const shared = failingStore();
    const events: AuthLiteEvent[] = [];
    const cache = new TokenSetCache({
      store: shared.store,
      secretKey,
      memoryLayer: false,
      storeBreaker: { failures: 2, halfOpenAfterMs: 20 },
      observe: (e) => events.push(e),
    });
    const upstream = cache.wrap({
      validate: () => Promise.resolve(true),
      refresh: () => Promise.reject(new Error("Not used")),
    });
    shared.down.all = true;
    await upstream.validate("t1");
    await upstream.validate("t2");
    const open = shared.calls;
    shared.down.all = false;
    await upstream.validate("t3");
    assert.equal(shared.calls, open, "still open");
    await new Promise((r) => setTimeout(r, 40));
    await upstream.validate("t4");
    await upstream.validate("t5");
    assert.ok(shared.calls > open + 1, "closed again: the store is called");
    const states = events.flatMap((e) => (e.type === "breaker" ? [e.state] : []));
    assert.deepEqual(states, ["open", "half-open", "closed"]);
  });
});

describe("TokenSetCache refresh outcomes", () => {
  test("refresh() answered 503 upstream releases the claim and is deferred, not rejected; the next caller redeems", async () => {
    const store = memoryStore();
    const events: string[] = [];
    const observe = (e: AuthLiteEvent) => {
      if (e.type === "refresh") events.push(e.outcome);
    };
    const a = new TokenSetCache({ store, secretKey, observe });
    const b = new TokenSetCache({ store, secretKey, observe });
    let calls = 0;
    const upstream = {
      validate: () => Promise.resolve(false),
      refresh: () => {
        calls++;
        if (calls === 1) {
          return Promise.reject(new AuthLiteUnavailableError("upstream", "503 from upstream", 2));
        }
        return Promise.resolve({ accessToken: "new-access", refreshToken: "new-refresh" });
      },
    };
    await assert.rejects(
      a.wrap(upstream).refresh("refresh-1", "access-1"),
      (err: unknown) => err instanceof AuthLiteError && err.code === "ERR_UNAVAILABLE",
    );
    // B does not wait for a claim A kept: A released it.
    const pair = await b.wrap(upstream).refresh("refresh-1", "access-1");
    assert.deepEqual(pair, { accessToken: "new-access", refreshToken: "new-refresh" });
    assert.equal(calls, 2);
    assert.deepEqual(events, ["deferred", "redeemed"]);
  });

  test("refresh() of a token upstream rejects is observed as rejected, and a late caller of the pair as waited", async () => {
    const h = await startHarness({ accessTokenTtlSeconds: 120 });
    try {
      const events: AuthLiteEvent[] = [];
      const cache = new TokenSetCache({
        store: memoryStore({ now: h.now }),
        secretKey,
        now: h.now,
        observe: (e) => events.push(e),
      });
      // As the client classifies: a 4xx on refresh is a rejection of the token.
      const upstream = {
        ...h.upstream,
        refresh: (r: string, a?: string) =>
          h.upstream.refresh(r, a).catch((err: Error) => {
            throw /: 4\d\d/.test(err.message) ? new AuthLiteTokenSetError("Rejected") : err;
          }),
      };
      const s = h.session();
      h.advance(300);
      await checkSet(cache, s.accessToken, s.refreshToken, upstream);
      await checkSet(cache, s.accessToken, s.refreshToken, upstream);
      await assert.rejects(
        checkSet(cache, "another-access", s.refreshToken, upstream),
        AuthLiteTokenSetError,
      );
      const refresh = events.flatMap((e) => (e.type === "refresh" ? [e.outcome] : []));
      assert.deepEqual(refresh, ["redeemed", "waited", "rejected"]);
      const cache_ = events.flatMap((e) => (e.type === "cache" ? [e.outcome] : []));
      assert.ok(cache_.includes("miss") && cache_.includes("grace-hit"), cache_.join());
      await cache.forget([s.accessToken], { all: true, confirmed: true });
      assert.ok(events.some((e) => e.type === "revoke" && e.all));
      // memoryStore() is local: no store event carries a failure.
      for (const e of events) {
        if (e.type === "store") assert.equal(e.outcome, "ok");
      }
    } finally {
      await h.close();
    }
  });
});
