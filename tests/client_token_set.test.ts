// Issue 20 part 3 and issue 17 (c): the token-set check is composed once
// (src/client/token_set.ts). Its walk crosses between client and cache at
// most four times, and a refresh claim is written only by a request that
// holds a slot of the bounded upstream queue.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore } from "../mod.ts";
import type { AuthLiteClient, KVStore } from "../mod.ts";
import { TokenSetCache } from "../src/cache/mod.ts";
import type { TokenSetCacheLike, TokenSetUpstream } from "../src/cache/mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { TokenSet } from "../src/client/token_set.ts";
import { TokenSetGuard } from "../src/client/_guard.ts";
import { Slots } from "../src/client/_slots.ts";
import { rejectsWith, startEmulator } from "./_client_helpers.ts";

const VALIDATE = "/api/user/me/auth/validate/token";
const REFRESH = "/api/user/me/access/token/";

/** A cache whose every crossing (a call of a function of the other side) is logged. */
function countingCache(cache: TokenSetCacheLike, log: string[]): TokenSetCacheLike {
  return {
    wrap(upstream: TokenSetUpstream): TokenSetUpstream {
      const inner = cache.wrap({
        validate: (a) => (log.push("upstream.validate"), upstream.validate(a)),
        refresh: (r, a) => (log.push("upstream.refresh"), upstream.refresh(r, a)),
      });
      const wrapped: TokenSetUpstream = {
        validate: (a) => (log.push("cache.validate"), inner.validate(a)),
        refresh: (r, a) => (log.push("cache.refresh"), inner.refresh(r, a)),
      };
      const cached = inner.cached;
      if (cached !== undefined) wrapped.cached = (a) => (log.push("cache.cached"), cached(a));
      return wrapped;
    },
    forget: (tokens, options) => cache.forget(tokens, options),
  };
}

test("the /auth/me walk (expired access token, good refresh token) crosses between client and cache 4 times; a cached answer once", async () => {
  const env = await startEmulator();
  try {
    // The client's own upstream operations, over HTTP to the emulator.
    const plain = env.makeClient({ retries: 0 });
    const log: string[] = [];
    const cache = new TokenSetCache({ store: memoryStore(), secretKey: DEMO_ORG.secretKey });
    const tokens = new TokenSet({
      ops: {
        validate: (a) => plain.validateAccessToken(a),
        refresh: (r) => plain.getAccessTokenFromRefreshToken(r),
      },
      cache: countingCache(cache, log),
      guard: new TokenSetGuard({ now: Date.now }),
      slots: new Slots({ maxInFlight: 4, maxQueue: 4 }),
    });
    const s = env.emu.session({ email: "ada@example.com" });
    env.emu.advanceClock(3601);
    const check = await tokens.check(s.accessToken, s.refreshToken);
    assert.equal(check.state, false);
    assert.deepEqual(log, [
      "cache.validate",
      "upstream.validate",
      "cache.refresh",
      "upstream.refresh",
    ]);
    // The next request with the new pair: the one in-memory test, no I/O.
    log.length = 0;
    const again = await tokens.check(check.access, check.refresh ?? undefined);
    assert.equal(again.state, true);
    assert.deepEqual(log, ["cache.validate"]);
    assert.deepEqual(env.emu.requests().byPath, { [VALIDATE]: 1, [REFRESH]: 1 });
  } finally {
    await env.close();
  }
});

/** A store that counts refresh claims (putIfAbsent). */
function claimCounting(): KVStore & { claims: number } {
  const inner = memoryStore();
  const store = {
    claims: 0,
    get: (k: string) => inner.get(k),
    put: (k: string, v: string, o: { ttlSeconds: number }) => inner.put(k, v, o),
    delete: (k: string) => inner.delete(k),
    putIfAbsent: (k: string, v: string, o: { ttlSeconds: number }) => {
      store.claims++;
      return inner.putIfAbsent(k, v, o);
    },
  };
  return store;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(condition(), "the condition never held");
}

test("a refresh waiting for a slot has written no claim; it claims once it holds one", async () => {
  const env = await startEmulator();
  try {
    const store = claimCounting();
    const client: AuthLiteClient = env.makeClient({
      retries: 0,
      tokenCache: store,
      maxUpstreamInFlight: 1,
      maxUpstreamQueue: 4,
    });
    const holder = env.emu.session({ email: "holder@example.com" });
    const waiter = env.emu.session({ email: "waiter@example.com" });
    env.emu.advanceClock(3601);
    // The waiter's access token is known invalid (the upstream said so): its
    // next check goes straight to the refresh, which needs a slot.
    assert.equal(await client.validateAccessToken(waiter.accessToken), false);
    env.emu.inject({ kind: "latency", latency_ms: 800, path: VALIDATE });
    const held = client.validateTokenSet(holder.accessToken, holder.refreshToken);
    await until(() => env.emu.requests().byPath[VALIDATE] === 2);
    const queued = client.validateTokenSet(waiter.accessToken, waiter.refreshToken);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(store.claims, 0, "no claim written while waiting for a slot");
    assert.equal(env.emu.requests().byPath[REFRESH] ?? 0, 0);
    assert.equal((await queued).state, false);
    assert.equal((await held).state, false);
    assert.equal(store.claims, 2, "each refresh claimed once it held its slot");
  } finally {
    await env.close();
  }
});

test("with a full queue a refresh is refused before it claims anything", async () => {
  const env = await startEmulator();
  try {
    const store = claimCounting();
    const client = env.makeClient({
      retries: 0,
      tokenCache: store,
      maxUpstreamInFlight: 1,
      maxUpstreamQueue: 0,
    });
    const holder = env.emu.session({ email: "holder@example.com" });
    const waiter = env.emu.session({ email: "waiter@example.com" });
    env.emu.advanceClock(3601);
    assert.equal(await client.validateAccessToken(waiter.accessToken), false);
    env.emu.inject({ kind: "latency", latency_ms: 800, path: VALIDATE });
    const held = client.validateTokenSet(holder.accessToken, holder.refreshToken);
    await until(() => env.emu.requests().byPath[VALIDATE] === 2);
    await rejectsWith(
      client.validateTokenSet(waiter.accessToken, waiter.refreshToken),
      "ERR_UNAVAILABLE",
    );
    assert.equal(store.claims, 0);
    await held;
    // The refused pair was not remembered as rejected: it refreshes now.
    assert.equal(
      (await client.validateTokenSet(waiter.accessToken, waiter.refreshToken)).state,
      false,
    );
  } finally {
    await env.close();
  }
});
