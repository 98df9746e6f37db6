/**
 * Every figure of issue 21 in one run: the gateway's hot paths against bare
 * Hono routes on Deno and Bun (`gateway_bench.ts`), the store operations per
 * request for each store (`store_ops.ts`), and the Worker's cold start in
 * workerd with its bundle size (`cold_start.ts`). Takes a few minutes; not
 * part of the test suite.
 *
 *   npx deno run -A bench/all.ts
 *
 * The settings of each part pass through (BENCH_ROUNDS, BENCH_SECONDS, ...);
 * BENCH_SKIP (a comma-separated list of `gateway`, `store`, `cold`) leaves
 * parts out.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { storeOps, storeOpsTable } from "./store_ops.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const env = (name: string): string | undefined =>
  g.Deno ? g.Deno.env.get(name) : g.process?.env?.[name];
const SKIP = new Set((env("BENCH_SKIP") ?? "").split(",").filter((x) => x !== ""));
const BIN = fileURLToPath(new URL("../node_modules/.bin/", import.meta.url));
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * Run one bench in a process of its own, its output passed through but for
 * the JSON log lines of the servers it starts (the cold Worker's readiness
 * check fails on purpose: its upstream is a closed port).
 */
function run(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${BIN}deno`, ["run", "-A", here(script)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.startsWith('{"time":')) console.log(line);
    });
    child.on("error", reject);
    child.on(
      "exit",
      (code) => code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`)),
    );
  });
}

const heading = (text: string) => console.log(`\n## ${text}\n`);

console.log(`# authlite benchmarks, ${new Date().toISOString().slice(0, 10)}`);
console.log(
  `${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load average ${
    loadavg().map((x) => x.toFixed(2)).join(" ")
  } at start`,
);

if (!SKIP.has("gateway")) {
  heading("The gateway against bare Hono routes (wrk; progress on standard error)");
  await run("./gateway_bench.ts");
}
if (!SKIP.has("store")) {
  heading("Store operations per request (counted through a counting store, not timed)");
  for (const line of storeOpsTable(await storeOps())) console.log(line);
}
if (!SKIP.has("cold")) {
  heading("The Worker: bundle size and cold start in workerd (Miniflare)");
  await run("./cold_start.ts");
}
console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
g.Deno ? g.Deno.exit(0) : g.process.exit(0);
