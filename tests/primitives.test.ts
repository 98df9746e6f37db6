// The primitives of the bottom layer (src/_*.ts) against what they replaced:
// key derivation reproduces today's bytes (Web Crypto's HKDF for the cache, the
// v1 labelled keys for the marks and cookies), and the bounded map and
// single-flight keep their contracts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { hkdf, labelledKey, labelledSecret } from "../src/_kdf.ts";
import { BoundedMap } from "../src/_bounded_map.ts";
import { SingleFlight } from "../src/_single_flight.ts";
import { Breaker } from "../src/_breaker.ts";

const encoder = new TextEncoder();

async function webHmac(key: Uint8Array, message: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(message)));
}

test("hkdf() equals Web Crypto's HKDF-SHA-256 (the token-set cache's keys)", async () => {
  for (const secret of ["s", "s3cr3t-key-for-tests-0123456789abcdef", "é".repeat(80)]) {
    const ikm = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, [
      "deriveBits",
    ]);
    for (const info of ["key names", "values", ""]) {
      const salt = "authlite token-set cache v1";
      const expected = new Uint8Array(
        await crypto.subtle.deriveBits(
          { name: "HKDF", hash: "SHA-256", salt: encoder.encode(salt), info: encoder.encode(info) },
          ikm,
          256,
        ),
      );
      assert.deepEqual(hkdf(secret, info, salt), expected, `${secret.length} ${info}`);
    }
  }
});

test("labelledKey() and labelledSecret() keep the v1 bytes of the marks, cookies and session secret", async () => {
  const secret = "s3cr3t-key-for-tests-0123456789abcdef";
  const key = labelledKey(secret, "authlite-gateway-profile-v1");
  assert.deepEqual(
    key.sign("payload"),
    await webHmac(encoder.encode(`authlite-gateway-profile-v1:${secret}`), "payload"),
  );
  const hex = [...await webHmac(encoder.encode(secret), "authlite-gateway-session-secret-v1")]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(labelledSecret(secret, "authlite-gateway-session-secret-v1"), hex);
});

test("BoundedMap forgets the oldest first, by set order or (touch) by use, and by weight", () => {
  let now = 0;
  const fifo = new BoundedMap<string, number>(2, { now: () => now });
  fifo.set("a", 1);
  fifo.set("b", 2);
  assert.equal(fifo.get("a"), 1);
  fifo.set("c", 3);
  assert.deepEqual([...fifo.entries()], [["b", 2], ["c", 3]]);
  const lru = new BoundedMap<string, number>(2, { now: () => now, touch: true });
  lru.set("a", 1);
  lru.set("b", 2);
  assert.equal(lru.get("a"), 1);
  lru.set("c", 3);
  assert.deepEqual([...lru.entries()], [["a", 1], ["c", 3]]);
  lru.set("d", 4, 10);
  assert.equal(lru.has("d"), true);
  now = 10;
  assert.equal(lru.has("d"), false);
  assert.equal(lru.get("d"), undefined);
  lru.set("e", 5, 5);
  assert.equal(lru.size, 1, "an entry already expired is not kept (and deletes the key)");
  const heavy = new BoundedMap<string, string>(10, { maxWeight: 10, weigh: (_k, v) => v.length });
  heavy.set("a", "xxxx");
  heavy.set("b", "xxxx");
  heavy.set("c", "xxxx");
  assert.deepEqual([...heavy.entries()].map(([k]) => k), ["b", "c"]);
  assert.equal(heavy.weight, 8);
  assert.equal(heavy.delete("b"), true);
  assert.equal(heavy.weight, 4);
});

test("SingleFlight.run() shares one call per key until it settles", async () => {
  const flights = new SingleFlight();
  let calls = 0;
  const fn = async () => {
    calls++;
    await new Promise((r) => setTimeout(r, 1));
    return calls;
  };
  const [a, b] = await Promise.all([flights.run("k", fn), flights.run("k", fn)]);
  assert.deepEqual([a, b, calls, flights.size], [1, 1, 1, 0]);
  assert.equal(await flights.run("k", fn), 2);
});

test("Breaker opens after failures in a row, lets one probe through, and closes on its success", () => {
  let now = 0;
  const states: string[] = [];
  const breaker = new Breaker({
    failures: 2,
    openMs: 100,
    now: () => now,
    onChange: (s) => states.push(s),
  });
  breaker.failure();
  assert.equal(breaker.admit(), true);
  breaker.failure();
  assert.equal(breaker.admit(), false);
  assert.equal(breaker.retryAfterMs(), 100);
  now = 100;
  assert.equal(breaker.admit(), true, "the probe");
  assert.equal(breaker.admit(), false, "while the probe is out");
  breaker.success();
  assert.equal(breaker.admit(), true);
  assert.deepEqual(states, ["open", "half-open", "closed"]);
});
