/**
 * The gateway's hot path in process: each step of `gateway_bench.ts` called
 * through `app.fetch` in a loop (no socket, no `wrk`), in interleaved
 * batches, µs per request and the ratio to its baseline (medians). Run it
 * under a profiler to see where the time goes:
 *
 *   npx deno run -A bench/gateway_profile.ts
 *   npx deno run -A --cpu-prof --cpu-prof-dir=/tmp/prof bench/gateway_profile.ts
 *   npx bun bench/gateway_profile.ts
 *
 * Settings (environment): BENCH_BATCHES (15), BENCH_CALLS (2000),
 * BENCH_ONLY (one step's name: that one alone, no ratio).
 *
 * @module
 */
import { type BenchApp, benchApps, requestOf } from "./_gateway_bench_apps.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const env = (name: string): string | undefined =>
  g.Deno ? g.Deno.env.get(name) : g.process?.env?.[name];
const BATCHES = Number(env("BENCH_BATCHES") ?? 15);
const CALLS = Number(env("BENCH_CALLS") ?? 2000);
const ONLY = env("BENCH_ONLY");

async function batch(app: BenchApp): Promise<number> {
  const requests = Array.from({ length: CALLS }, () => requestOf(app));
  const t0 = performance.now();
  for (const request of requests) {
    const res = await app.fetch(request);
    if (res.status !== 200) throw new Error(`${app.name}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  return ((performance.now() - t0) * 1000) / CALLS;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const bench = await benchApps();
const apps = bench.apps.filter((a) => ONLY === undefined || a.name === ONLY);
const times = apps.map((): number[] => []);
for (const app of apps) await batch(app); // warm up
for (let b = 0; b < BATCHES; b++) {
  for (const [i, app] of apps.entries()) times[i]!.push(await batch(app));
}
const runtime = g.Deno ? `Deno ${g.Deno.version.deno}` : `Bun ${g.Bun?.version}`;
console.log(`${runtime}, in process, median of ${BATCHES} interleaved batches of ${CALLS}`);
console.log("| step | µs/request | × baseline (time) | baseline ÷ step |");
console.log("|---|---:|---:|---:|");
for (const [i, app] of apps.entries()) {
  const base = apps.findIndex((a) => a.name === app.baseline);
  const t = median(times[i]!);
  const tb = base === -1 ? NaN : median(times[base]!);
  console.log(
    `| ${app.name} | ${t.toFixed(2)} | ${(t / tb).toFixed(2)} | ${(tb / t).toFixed(2)} |`,
  );
}
await bench.close();
g.Deno ? g.Deno.exit(0) : g.process.exit(0);
