import { test } from "node:test";
import assert from "node:assert/strict";
import { type KVStore, memoryStore } from "../mod.ts";
import { RoleMarks } from "../src/cache/mod.ts";

const SECRET = "marks-secret-0123456789";

/** A store that records what it is given, over a memory store. */
function recording(): KVStore & { keys: string[]; values: string[] } {
  const inner = memoryStore();
  const keys: string[] = [];
  const values: string[] = [];
  return {
    keys,
    values,
    get: (k) => (keys.push(k), inner.get(k)),
    put: (k, v, o) => (keys.push(k), values.push(v), inner.put(k, v, o)),
    delete: (k) => (keys.push(k), inner.delete(k)),
  };
}

test("RoleMarks.markUser() is seen by another instance; the store never sees the uid", async () => {
  const store = recording();
  const a = new RoleMarks({ store, secretKey: SECRET });
  const b = new RoleMarks({ store, secretKey: SECRET, syncMs: 0 });
  assert.equal(await b.userChangedAt("uid_secret_person"), 0);
  await a.markUser("uid_secret_person");
  assert.ok((await b.userChangedAt("uid_secret_person")) > 0);
  assert.equal(await b.userChangedAt("uid_other"), 0);
  assert.ok(store.keys.length > 0);
  for (const key of store.keys) {
    assert.ok(!key.includes("uid_secret_person"), key);
    assert.match(key, /^authlite:rm:v1:(gen|u:[A-Za-z0-9_-]+)$/);
  }
  // Another secret, another key: marks of one organisation are not another's.
  const other = new RoleMarks({ store, secretKey: "another-secret-0123", syncMs: 0 });
  assert.equal(await other.userChangedAt("uid_secret_person"), 0);
});

test("RoleMarks reads the store at most once per syncMs, and at once after its own change", async () => {
  let now = 1_000_000;
  const store = recording();
  const a = new RoleMarks({ store, secretKey: SECRET, now: () => now });
  const b = new RoleMarks({ store, secretKey: SECRET, now: () => now });
  const g0 = await b.generation();
  assert.equal(await b.userChangedAt("u1"), 0);
  await a.bumpGeneration();
  await a.markUser("u1");
  const reads = store.keys.length;
  assert.equal(await b.generation(), g0, "within syncMs: the value seen");
  assert.equal(await b.userChangedAt("u1"), 0);
  assert.equal(store.keys.length, reads, "no store call within syncMs");
  now += 1000;
  assert.notEqual(await b.generation(), g0, "after syncMs: the new generation");
  assert.equal(await b.userChangedAt("u1"), now - 1000);
  assert.equal(await a.userChangedAt("u1"), now - 1000, "the writer sees its own mark");
});

test("RoleMarks with a failing or slow store makes rights look changed, never current", async () => {
  const failing: KVStore = {
    get: () => Promise.reject(new Error("down")),
    put: () => Promise.reject(new Error("down")),
    delete: () => Promise.reject(new Error("down")),
  };
  const slow: KVStore = {
    get: () => new Promise(() => {}),
    put: () => new Promise(() => {}),
    delete: () => new Promise(() => {}),
  };
  for (const store of [failing, slow]) {
    const marks = new RoleMarks({ store, secretKey: SECRET, storeTimeoutMs: 20 });
    const before = Date.now();
    assert.ok((await marks.userChangedAt("u1")) >= before, "a failure reads as 'just changed'");
    const g1 = await marks.generation();
    const g2 = await marks.generation();
    assert.notEqual(g1, g2, "a failure reads as another generation each time");
    await marks.markUser("u1"); // does not throw
    await marks.bumpGeneration();
  }
});
