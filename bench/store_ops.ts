/**
 * Store operations per request, for each store kind: a validation that
 * misses, a hit once the revocation recheck is due, and the refresh path (an
 * expired access token, a good refresh token), counted through a counting
 * store wrapper (`tests/_store_ops.ts`, the one `tests/cache_store_ops.test.ts`
 * checks the bounds with). Redis is a real `redis-server`; Deno KV runs under
 * Deno only.
 *
 *   npx deno run -A bench/store_ops.ts
 *
 * @module
 */
import {
  denoKvOps,
  durableObjectOps,
  memoryOps,
  redisOps,
  type StoreOpsRow,
} from "../tests/_store_ops.ts";

/**
 * Count every store kind that runs here.
 *
 * @returns one row per store (a store that cannot run here: a row saying why)
 */
export async function storeOps(): Promise<(StoreOpsRow | { name: string; skipped: string })[]> {
  // deno-lint-ignore no-explicit-any
  const deno = (globalThis as any).Deno !== undefined;
  return [
    await memoryOps(),
    await redisOps(),
    deno ? await denoKvOps() : { name: "denoKVStore()", skipped: "Deno only" },
    ...(await durableObjectOps()),
  ];
}

/**
 * The rows as a Markdown table.
 *
 * @param rows what {@linkcode storeOps} counted
 * @returns the table's lines
 */
export function storeOpsTable(rows: Awaited<ReturnType<typeof storeOps>>): string[] {
  const cell = (ops: string[]) => `${ops.length}: ${ops.join(" ")}`;
  const lines = [
    "| store | miss (≤ 2) | recheck (≤ 1) | refresh (≤ 4) | note |",
    "|---|---|---|---|---|",
  ];
  for (const row of rows) {
    lines.push(
      "skipped" in row
        ? `| ${row.name} | | | | skipped: ${row.skipped} |`
        : `| ${row.name} | ${cell(row.ops.miss)} | ${cell(row.ops.recheck)} | ${
          cell(row.ops.refresh)
        } | ${row.note ?? ""} |`,
    );
  }
  return lines;
}

if (import.meta.main) {
  console.log("Store operations per request (counted, not timed):");
  for (const line of storeOpsTable(await storeOps())) console.log(line);
}
