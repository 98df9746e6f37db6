/**
 * Benchmark of the token-set cache, against the emulator on loopback:
 *
 * 1. latency of `validateTokenSet()` with and without `tokenCache`
 *    (interleaved rounds; median and p99 of each, and their ratio);
 * 2. upstream calls saved (counted by the emulator);
 * 3. memory of `memoryStore()` under a million distinct tokens (heap before
 *    and after, entries kept: the store must stay within its bound).
 *
 * Run: `npx deno run -A --v8-flags=--expose-gc bench/cache_bench.ts` or
 * `npx bun bench/cache_bench.ts` (without `--expose-gc` Deno's heap figures
 * include garbage not yet collected).
 *
 * @module
 */
import process from "node:process";
import { AuthLiteClient, memoryStore } from "../mod.ts";
import { TokenSetCache } from "../src/cache/token_set_cache.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROUNDS = 20;
const PER_ROUND = 50;
const TOKENS = Number(process.env.BENCH_TOKENS ?? 1_000_000);

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
function gc(): void {
  if (typeof g.Bun?.gc === "function") g.Bun.gc(true);
  else if (typeof g.gc === "function") g.gc();
}
const runtime = g.Bun ? `Bun ${g.Bun.version}` : g.Deno ? `Deno ${g.Deno.version.deno}` : "unknown";

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}
const sort = (xs: number[]) => [...xs].sort((a, b) => a - b);
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

// The emulator runs in a process of its own (as an upstream would), so its
// work is not billed to the calls measured here.
const script = fileURLToPath(new URL("./_emulator_server.ts", import.meta.url));
const child = spawn(process.execPath, g.Bun ? [script] : ["run", "-A", script], {
  stdio: ["ignore", "pipe", "inherit"],
});
const port = await new Promise<number>((resolve, reject) => {
  let out = "";
  child.stdout?.on("data", (chunk: Uint8Array) => {
    out += new TextDecoder().decode(chunk);
    const m = /PORT (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.once("exit", () => reject(new Error("The emulator process exited")));
});
const baseUrl = `http://127.0.0.1:${port}`;
// deno-lint-ignore no-explicit-any
const control = async (method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${baseUrl}/__emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return await res.json();
};
const requestsTotal = async (): Promise<number> => (await control("GET", "/requests")).total;
const common = {
  apiKey: DEMO_ORG.apiKey,
  secretKey: DEMO_ORG.secretKey,
  orgId: DEMO_ORG.orgId,
  baseUrl,
  retries: 0,
};
const uncached = new AuthLiteClient(common);
const cached = new AuthLiteClient({ ...common, tokenCache: memoryStore() });
const s = await control("POST", "/session", { email: "bench@example.com" });
const session = { accessToken: s.access_token as string, refreshToken: s.refresh_token as string };

// Warm up both paths (connections, JIT, key derivation).
for (let i = 0; i < 50; i++) {
  await uncached.validateTokenSet(session.accessToken, session.refreshToken);
  await cached.validateTokenSet(session.accessToken, session.refreshToken);
}

// The hot path: a cached validateTokenSet() in process, against a baseline of
// the same loop doing a Map lookup and an await (measured in the same run, in
// interleaved batches; medians of the per-call time of each batch).
const HOT_BATCHES = 30;
const HOT_CALLS = 20_000;
const baselineMap = new Map([[session.accessToken, true]]);
async function baselineCall(token: string): Promise<boolean> {
  return await Promise.resolve(baselineMap.get(token) === true);
}
const hot = { cached: [] as number[], baseline: [] as number[] };
for (let batch = 0; batch < HOT_BATCHES; batch++) {
  for (
    const which of batch % 2 === 0
      ? ["baseline", "cached"] as const
      : ["cached", "baseline"] as const
  ) {
    const t0 = performance.now();
    if (which === "cached") {
      for (let i = 0; i < HOT_CALLS; i++) {
        await cached.validateTokenSet(session.accessToken, session.refreshToken);
      }
    } else {
      for (let i = 0; i < HOT_CALLS; i++) await baselineCall(session.accessToken);
    }
    hot[which].push((performance.now() - t0) / HOT_CALLS);
  }
}
const hotCached = quantile(sort(hot.cached), 0.5);
const hotBase = quantile(sort(hot.baseline), 0.5);
const hotLines = [
  `Hot path (${runtime}): ${HOT_BATCHES} interleaved batches of ${HOT_CALLS} calls, median per call:`,
  "",
  "| path | median | of baseline |",
  "|---|---|---|",
  `| baseline: Map lookup + await | ${(hotBase * 1000).toFixed(3)} µs | 1.0x |`,
  `| cached validateTokenSet() (memoryStore) | ${(hotCached * 1000).toFixed(3)} µs | ${
    (hotCached / hotBase).toFixed(1)
  }x |`,
  "",
];
console.log(hotLines.join("\n"));
if (process.env.BENCH_HOT_ONLY === "1") {
  child.kill();
  process.exit(0);
}

const lat = { cached: [] as number[], uncached: [] as number[] };
const calls = { cached: 0, uncached: 0 };
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < PER_ROUND; i++) {
    // Alternate which path goes first so neither profits from the order.
    const order = (round + i) % 2 === 0
      ? ["uncached", "cached"] as const
      : ["cached", "uncached"] as const;
    for (const which of order) {
      const client = which === "cached" ? cached : uncached;
      const t0 = performance.now();
      const r = await client.validateTokenSet(session.accessToken, session.refreshToken);
      lat[which].push(performance.now() - t0);
      if (!r.state) throw new Error("Bench token set became invalid");
    }
  }
  // Then each path alone, counted by the emulator (its count includes no control calls).
  for (const which of ["uncached", "cached"] as const) {
    const client = which === "cached" ? cached : uncached;
    const before = await requestsTotal();
    for (let i = 0; i < PER_ROUND; i++) {
      await client.validateTokenSet(session.accessToken, session.refreshToken);
    }
    calls[which] += (await requestsTotal()) - before;
  }
}
child.kill();
const upstreamUncached = calls.uncached;
const upstreamCached = calls.cached;

const c = sort(lat.cached);
const u = sort(lat.uncached);
const n = ROUNDS * PER_ROUND;

// Memory: a million distinct tokens through a TokenSetCache over memoryStore().
gc();
const heapBefore = process.memoryUsage().heapUsed;
const store = memoryStore();
const cache = new TokenSetCache({ store, secretKey: DEMO_ORG.secretKey });
const ok = cache.wrap({
  validate: () => Promise.resolve(true),
  refresh: () => Promise.reject(new Error("Unused")),
});
const tMem = performance.now();
const BATCH = 1000;
for (let i = 0; i < TOKENS; i += BATCH) {
  const batch: Promise<boolean>[] = [];
  for (let j = i; j < i + BATCH; j++) {
    batch.push(ok.validate(`token-${j}-${"x".repeat(200)}`));
  }
  await Promise.all(batch);
}
const memSeconds = (performance.now() - tMem) / 1000;
gc();
const heapAfter = process.memoryUsage().heapUsed;

const lines = [
  `## Token-set cache benchmark (${runtime}, ${new Date().toISOString().slice(0, 10)})`,
  "",
  `validateTokenSet() of one good token set against the emulator on loopback, ${ROUNDS} interleaved rounds of ${PER_ROUND} calls per path (${n} each):`,
  "",
  "| path | median | p99 | upstream calls |",
  "|---|---|---|---|",
  `| without tokenCache | ${us(quantile(u, 0.5))} | ${
    us(quantile(u, 0.99))
  } | ${upstreamUncached} |`,
  `| with tokenCache (memoryStore) | ${us(quantile(c, 0.5))} | ${
    us(quantile(c, 0.99))
  } | ${upstreamCached} |`,
  `| ratio uncached / cached | ${(quantile(u, 0.5) / quantile(c, 0.5)).toFixed(1)}x | ${
    (quantile(u, 0.99) / quantile(c, 0.99)).toFixed(1)
  }x | ${upstreamUncached - upstreamCached} saved |`,
  "",
  `memoryStore() (default bound ${store.maxEntries} entries) under ${
    TOKENS.toLocaleString("en")
  } distinct tokens through TokenSetCache (wrapped validate):`,
  "",
  `- entries kept: ${store.size} (bound ${store.maxEntries})`,
  `- heap before: ${mb(heapBefore)}, after: ${mb(heapAfter)} (delta ${mb(heapAfter - heapBefore)})${
    typeof g.gc === "function" || g.Bun
      ? ""
      : " (no forced GC: run Deno with --v8-flags=--expose-gc)"
  }`,
  `- time: ${memSeconds.toFixed(1)} s (${
    ((TOKENS / memSeconds) / 1000).toFixed(0)
  }k validations/s, each an HMAC, an AES-GCM seal and a put)`,
];
console.log(lines.join("\n"));
if (store.size > store.maxEntries) {
  console.error("memoryStore() exceeded its bound");
  process.exit(1);
}
