/**
 * Store operations per request (issue 21), counted through a counting store
 * wrapper, never timed, for each store kind that runs here: a miss is at most
 * one read and one write, a revocation recheck one read, the refresh path
 * (an expired access token, a good refresh token) four operations.
 * `bench/store_ops.ts` prints the same counts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { denoKvSkip } from "./_deno_kv.ts";
import {
  denoKvOps,
  durableObjectOps,
  memoryOps,
  redisOps,
  type StoreOps,
  type StoreOpsRow,
} from "./_store_ops.ts";

// deno-lint-ignore no-explicit-any
const print = (globalThis as any).process?.env?.PRINT_STORE_OPS === "1";

function assertBounds({ name, ops: counts, note }: StoreOpsRow): void {
  if (print) {
    const row = [counts.miss, counts.recheck, counts.refresh].map((ops) =>
      `${ops.length}: ${ops.join(" ")}`
    );
    console.log(`| ${name} | ${row.join(" | ")} |${note === undefined ? "" : ` ${note}`}`);
  }
  const reads = (ops: string[]) => ops.filter((op) => op === "get" || op === "getMany").length;
  const c: StoreOps = counts;
  assert.ok(reads(c.miss) <= 1 && c.miss.length <= 2, `${name} miss: ${c.miss}`);
  assert.ok(c.recheck.length <= 1, `${name} recheck: ${c.recheck}`);
  assert.ok(c.refresh.length <= 4, `${name} refresh: ${c.refresh}`);
}

describe("store operations per request", () => {
  test("memoryStore(): miss ≤ 2, recheck ≤ 1, refresh ≤ 4", async () => {
    assertBounds(await memoryOps());
  });

  test("redisStore() against redis-server: miss ≤ 2, recheck ≤ 1, refresh ≤ 4", async () => {
    assertBounds(await redisOps());
  });

  test("denoKVStore(): miss ≤ 2, recheck ≤ 1, refresh ≤ 4", { skip: denoKvSkip }, async () => {
    assertBounds(await denoKvOps());
  });

  test("durableObjectStore(): miss ≤ 2, recheck ≤ 1, refresh ≤ 4 store calls", async () => {
    for (const row of await durableObjectOps()) assertBounds(row);
  });
});
