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
  let now = 1_000_000;
  let mode: "up" | "down" | "slow" = "up";
  const inner = memoryStore();
  const down = () => Promise.reject(new Error("down"));
  const slow = () => new Promise<never>(() => {});
  const store: KVStore = {
    get: (k) => mode === "up" ? inner.get(k) : mode === "down" ? down() : slow(),
    put: (k, v, o) => mode === "up" ? inner.put(k, v, o) : mode === "down" ? down() : slow(),
    delete: (k) => mode === "up" ? inner.delete(k) : mode === "down" ? down() : slow(),
  };
  const marks = new RoleMarks({ store, secretKey: SECRET, storeTimeoutMs: 20, now: () => now });
  let last = await marks.generation();
  assert.equal(await marks.userChangedAt("u1"), 0);
  for (const failure of ["down", "slow"] as const) {
    mode = failure;
    now += 1000;
    assert.equal(
      await marks.userChangedAt("u1"),
      now,
      `${failure}: the roles read as just changed`,
    );
    const g = await marks.generation();
    assert.notEqual(g, last, `${failure}: another generation (the role cache reloads)`);
    assert.equal(await marks.generation(), g, "once per syncMs, not on every check");
    last = g;
    await marks.markUser("u2"); // does not throw
    await marks.bumpGeneration();
    last = await marks.generation();
  }
});
