/**
 * Two Deno gateways starting together on one Deno KV file: the second one's
 * `Deno.openKv()` may fail with "database is locked" while the first sets the
 * file up (seen in CI: `tests/sessions_instances.test.ts`, a gateway exiting
 * at start). `openKvWaiting()` waits for the lock, bounded; anything else is
 * thrown at once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openKvWaiting } from "../src/runtime/_open_kv.ts";

const locked = () => new Error("database is locked");

function opener(failures: Array<Error | undefined>) {
  const calls: Array<string | undefined> = [];
  const open = (path?: string) => {
    calls.push(path);
    const failure = failures.shift();
    return failure === undefined ? Promise.resolve({ kv: path }) : Promise.reject(failure);
  };
  return { open, calls };
}

test("openKvWaiting() tries again while the file is locked, then opens it", async () => {
  const { open, calls } = opener([locked(), locked(), locked()]);
  const sleeps: number[] = [];
  const kv = await openKvWaiting(open, "/tmp/x.kv", 10_000, (ms) => {
    sleeps.push(ms);
    return Promise.resolve();
  });
  assert.deepEqual(kv, { kv: "/tmp/x.kv" });
  assert.equal(calls.length, 4);
  assert.equal(sleeps.length, 3);
});

test("openKvWaiting() throws any other failure at once", async () => {
  const { open, calls } = opener([new Error("Permission denied")]);
  await assert.rejects(
    openKvWaiting(open, undefined, 10_000, () => Promise.resolve()),
    /Permission denied/,
  );
  assert.equal(calls.length, 1);
});

test("openKvWaiting() gives up once the lock has been held past its bound", async () => {
  const { open, calls } = opener(Array.from({ length: 1000 }, locked));
  await assert.rejects(
    openKvWaiting(open, "/tmp/x.kv", 500, () => Promise.resolve()),
    /database is locked/,
  );
  // Tries at 0, 50, ..., 500 ms of waiting: 11, then the last error is thrown.
  assert.equal(calls.length, 11);
});
