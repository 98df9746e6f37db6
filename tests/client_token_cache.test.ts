// The client with `tokenCache`: validations go through the token-set cache,
// and a revoke makes the cache forget the revoked tokens.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore } from "../src/cache/mod.ts";
import type { KVStore } from "../mod.ts";
import { rejectsWith, startEmulator } from "./_client_helpers.ts";
import type { EmulatorEnv } from "./_client_helpers.ts";

const VALIDATE = "GET /api/user/me/auth/validate/token";
const REFRESH = "GET /api/user/me/access/token/";

async function withCachedClient(
  run: (env: EmulatorEnv, store: KVStore) => Promise<void>,
): Promise<void> {
  const store = memoryStore();
  const env = await startEmulator({ client: { tokenCache: store } });
  try {
    await run(env, store);
  } finally {
    await env.close();
  }
}

const count = (env: EmulatorEnv, call: string) => env.sent.filter((c) => c === call).length;

test("validateTokenSet() with tokenCache asks upstream once for a valid set", () =>
  withCachedClient(async (env) => {
    const s = env.emu.session({ email: "ada@example.com" });
    const first = await env.client.validateTokenSet(s.accessToken, s.refreshToken);
    const second = await env.client.validateTokenSet(s.accessToken, s.refreshToken);
    assert.deepEqual(first, { state: true, access: s.accessToken, refresh: s.refreshToken });
    assert.deepEqual(second, first);
    assert.equal(count(env, VALIDATE), 1);
  }));

test("validateAccessToken() with tokenCache asks upstream once for a valid token", () =>
  withCachedClient(async (env) => {
    const s = env.emu.session({ email: "ada@example.com" });
    assert.equal(await env.client.validateAccessToken(s.accessToken), true);
    assert.equal(await env.client.validateAccessToken(s.accessToken), true);
    assert.equal(count(env, VALIDATE), 1);
    assert.equal(await env.client.validateAccessToken("garbage"), false);
  }));

test("validateTokenSet() with tokenCache refreshes an expired access token", () =>
  withCachedClient(async (env) => {
    const s = env.emu.session({ email: "ada@example.com" });
    env.emu.advanceClock(3601);
    const check = await env.client.validateTokenSet(s.accessToken, s.refreshToken);
    assert.equal(check.state, false);
    assert.notEqual(check.access, s.accessToken);
    assert.equal(count(env, REFRESH), 1);
  }));

test("validateTokenSet() with tokenCache and a rejected refresh token: ERR_INVALID_TOKEN_SET", () =>
  withCachedClient(async (env) => {
    const s = env.emu.session({ email: "ada@example.com" });
    await env.client.revokeToken({ refreshToken: s.refreshToken });
    env.emu.advanceClock(3601);
    await rejectsWith(
      env.client.validateTokenSet(s.accessToken, s.refreshToken),
      "ERR_INVALID_TOKEN_SET",
    );
  }));

test("revokeToken() with tokenCache forgets the revoked token: the next check asks upstream", () =>
  withCachedClient(async (env) => {
    const s = env.emu.session({ email: "ada@example.com" });
    assert.equal(await env.client.validateAccessToken(s.accessToken), true);
    assert.equal(await env.client.revokeToken({ accessToken: s.accessToken }), true);
    assert.equal(await env.client.validateAccessToken(s.accessToken), false);
    assert.equal(count(env, VALIDATE), 2);
  }));

test("validateAccessToken() with tokenCache keeps tokens out of the store's keys and values", () =>
  withCachedClient(async (env) => {
    const seen: string[] = [];
    const inner = memoryStore();
    const spy: KVStore = {
      get: (key) => (seen.push(key), inner.get(key)),
      put: (key, value, options) => (seen.push(key, value), inner.put(key, value, options)),
      delete: (key) => (seen.push(key), inner.delete(key)),
    };
    const client = env.makeClient({ tokenCache: spy });
    const s = env.emu.session({ email: "ada@example.com" });
    assert.equal(await client.validateAccessToken(s.accessToken), true);
    await client.revokeToken({ accessToken: s.accessToken });
    assert.ok(seen.length > 0);
    for (const text of seen) assert.ok(!text.includes(s.accessToken.split(".")[2]!));
  }));

test("validateTokenSet() with a failing tokenCache reports through tokenCacheOptions.onError and still answers", async () => {
  const events: string[] = [];
  const failing: KVStore = {
    get: () => Promise.reject(new Error("store down")),
    put: () => Promise.reject(new Error("store down")),
    delete: () => Promise.reject(new Error("store down")),
  };
  const env = await startEmulator({
    client: {
      tokenCache: failing,
      tokenCacheOptions: {
        memoryLayer: false,
        onError: (e) => events.push(`${e.operation}:${e.reason}`),
      },
    },
  });
  try {
    const s = env.emu.session({ email: "ada@example.com" });
    const check = await env.client.validateTokenSet(s.accessToken, s.refreshToken);
    assert.deepEqual(check, { state: true, access: s.accessToken, refresh: s.refreshToken });
    await env.client.validateTokenSet(s.accessToken, s.refreshToken);
    assert.equal(count(env, VALIDATE), 2);
    assert.ok(events.includes("get:error"), `events: ${events.join(",")}`);
  } finally {
    await env.close();
  }
});
