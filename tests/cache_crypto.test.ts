import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TokenSetCache } from "../src/cache/token_set_cache.ts";
import type { TokenSetUpstream } from "../src/cache/types.ts";
import { RecordingStore } from "./_cache_harness.ts";
import { checkSet, checkToken } from "./_cache_calls.ts";

const secretKey = "org-secret-key-that-must-never-leak";

function b64url(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A JWT-shaped token (unsigned: the cache only reads `exp`). */
function jwt(claims: Record<string, unknown>): string {
  return `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}.c2ln`;
}

function countingUpstream(valid = true) {
  const calls = { validate: 0, refresh: 0 };
  let n = 0;
  const upstream: TokenSetUpstream = {
    validate: () => {
      calls.validate++;
      return Promise.resolve(valid);
    },
    refresh: () => {
      calls.refresh++;
      n++;
      return Promise.resolve({
        accessToken: `new-access-${n}-secret`,
        refreshToken: `new-refresh-${n}-secret`,
      });
    },
  };
  return { calls, upstream };
}

describe("TokenSetCache keys and values", () => {
  test("validateTokenSet() stores neither a token nor the secret in clear", async () => {
    const store = new RecordingStore();
    const cache = new TokenSetCache({ store, secretKey, memoryLayer: false });
    const access = jwt({ sub: "u1", exp: Math.floor(Date.now() / 1000) + 600 });
    const refresh = "refresh-token-plain-text";
    const { upstream } = countingUpstream(false);
    const result = await checkSet(cache, access, refresh, upstream);
    assert.equal(result.state, false);
    assert.ok(store.map.size >= 2, "an access entry and a grace entry");
    const secrets = [access, refresh, result.access, result.refresh ?? "", secretKey];
    const pieces = [...access.split("."), b64url(refresh), b64url(secretKey)];
    for (const [key, value] of store.map) {
      assert.match(key, /^authlite:ts:v1:(at|rt):[A-Za-z0-9_-]{43}$/);
      assert.match(value, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      for (const s of [...secrets, ...pieces]) {
        assert.ok(!key.includes(s) && !value.includes(s), "a token or the secret in the store");
      }
    }
  });

  test("validateAccessToken() treats a tampered value as a miss", async () => {
    const store = new RecordingStore();
    const reasons: string[] = [];
    const cache = new TokenSetCache({
      store,
      secretKey,
      memoryLayer: false,
      onError: (e) => reasons.push(e.reason),
    });
    const { calls, upstream } = countingUpstream(true);
    await checkToken(cache, "token-a", upstream);
    await checkToken(cache, "token-a", upstream);
    assert.equal(calls.validate, 1);
    const [key, value] = [...store.map][0] ?? ["", ""];
    // Flip one character of the ciphertext.
    const last = value.at(-5) === "A" ? "B" : "A";
    store.map.set(key, value.slice(0, -5) + last + value.slice(-4));
    await checkToken(cache, "token-a", upstream);
    assert.equal(calls.validate, 2);
    assert.deepEqual(reasons, ["garbage"]);
  });

  test("validateAccessToken() treats a value moved from another key as a miss", async () => {
    const store = new RecordingStore();
    const cache = new TokenSetCache({ store, secretKey, memoryLayer: false });
    const good = countingUpstream(true);
    await checkToken(cache, "good-token", good.upstream);
    const goodValue = [...store.map.values()][0] ?? "";
    // An attacker with write access to the store copies the entry of a good
    // token onto the key of a token that upstream calls invalid.
    const bad = countingUpstream(false);
    assert.equal(await checkToken(cache, "revoked-token", bad.upstream), false);
    const badKey = [...store.map.keys()].find((k) => store.map.get(k) !== goodValue);
    assert.equal(badKey, undefined, "an invalid token is not cached");
    const keys = [...store.map.keys()];
    store.map.clear();
    // Recompute the key of "revoked-token" by caching it with a valid answer in a sibling cache.
    const sibling = new TokenSetCache({ store, secretKey, memoryLayer: false });
    await checkToken(sibling, "revoked-token", countingUpstream(true).upstream);
    const revokedKey = [...store.map.keys()].find((k) => !keys.includes(k)) ?? "";
    store.map.clear();
    store.map.set(revokedKey, goodValue);
    assert.equal(await checkToken(cache, "revoked-token", bad.upstream), false);
    assert.equal(bad.calls.validate, 2);
  });

  test("validateAccessToken() treats garbage and values of another secret as misses", async () => {
    const store = new RecordingStore();
    const other = new TokenSetCache({ store, secretKey: "another-org-secret", memoryLayer: false });
    await checkToken(other, "token-x", countingUpstream(true).upstream);
    const [, foreign] = [...store.map][0] ?? ["", ""];
    const cache = new TokenSetCache({ store, secretKey, memoryLayer: false });
    const { calls, upstream } = countingUpstream(true);
    await checkToken(cache, "token-x", upstream); // different secret: different key, a miss
    assert.equal(calls.validate, 1);
    const key = [...store.map.keys()].find((k) => store.map.get(k) !== foreign) ?? "";
    const garbage: unknown[] = [
      foreign,
      "",
      "v1..",
      "v1.AAAAAAAAAAAAAAAA.AAAA",
      "not-an-entry",
      '{"t":"at","x":99999999999999}',
      "v2.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      42,
      { t: "at" },
      ["x"],
    ];
    for (const g of garbage) {
      store.map.set(key, g as string);
      assert.equal(await checkToken(cache, "token-x", upstream), true);
    }
    assert.equal(calls.validate, 1 + garbage.length);
  });

  test("validateTokenSet() does not cache an access token whose JWT exp has passed", async () => {
    const store = new RecordingStore();
    const cache = new TokenSetCache({ store, secretKey });
    const { calls, upstream } = countingUpstream(true);
    const expired = jwt({ exp: Math.floor(Date.now() / 1000) - 10 });
    await checkSet(cache, expired, undefined, upstream);
    await checkSet(cache, expired, undefined, upstream);
    assert.equal(calls.validate, 2);
    assert.equal(store.map.size, 0);
  });

  test("validateTokenSet() keeps an entry no longer than the JWT exp", async () => {
    const store = new RecordingStore();
    const ttls: number[] = [];
    const put = store.put.bind(store);
    store.put = (k, v, o?: { ttlSeconds: number }) => {
      ttls.push(o?.ttlSeconds ?? -1);
      return put(k, v);
    };
    const now = 1_800_000_000_000;
    const cache = new TokenSetCache({ store, secretKey, now: () => now, ttlSeconds: 600 });
    const { upstream } = countingUpstream(true);
    await checkSet(cache, jwt({ exp: now / 1000 + 42 }), undefined, upstream);
    await checkSet(cache, "opaque-token", undefined, upstream);
    assert.deepEqual(ttls, [42, 600]);
  });
});

test("HmacSha256.sign() equals Web Crypto's HMAC-SHA-256 for keys and messages around block edges", async () => {
  const { HmacSha256 } = await import("../src/_hmac.ts");
  for (const keyLength of [1, 31, 32, 64, 65, 100]) {
    const key = crypto.getRandomValues(new Uint8Array(keyLength));
    const subtleKey = await crypto.subtle.importKey(
      "raw",
      key,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const hmac = new HmacSha256(key);
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 300, 1000]) {
      const message = crypto.getRandomValues(new Uint8Array(length));
      const expected = new Uint8Array(await crypto.subtle.sign("HMAC", subtleKey, message));
      assert.deepEqual(hmac.sign(message), expected, `key ${keyLength} B, message ${length} B`);
    }
  }
  const utf8 = new HmacSha256(new TextEncoder().encode("k"));
  assert.deepEqual(utf8.sign("héllo ✓"), utf8.sign(new TextEncoder().encode("héllo ✓")));
});

test("encodeBase64url() encodes like btoa with the URL alphabet and no padding, and decodeBase64url() reverses it", async () => {
  const { encodeBase64url: encode, decodeBase64url } = await import("../src/_base64url.ts");
  for (let length = 0; length < 70; length++) {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    const expected = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
      .replace(/=+$/, "");
    assert.equal(encode(bytes), expected);
    assert.deepEqual(decodeBase64url(expected), bytes);
  }
});
