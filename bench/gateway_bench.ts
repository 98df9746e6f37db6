/**
 * The gateway's hot path, step by step, on Deno and on Bun in one run: a
 * bare Hono route, the same answering a cached `client.validateTokenSet()`,
 * the same as a validated `@hono/zod-openapi` route, and the gateway's
 * `POST /rpc/validateTokenSet`; and a bare `GET` against the gateway's cached
 * `GET /auth/me`. Each runtime serves every variant side by side
 * (`_gateway_bench_server.ts`, a child process); `wrk` (another process)
 * loads them in interleaved rounds; the table shows medians and each
 * variant's ratio to its baseline, with the spread of that ratio across
 * rounds, and the gateway's ratio to its "floor": the bare route plus what
 * no gateway can skip (reading the credential header, replying with
 * `Cache-Control: no-store` and `nosniff`). The two gateway calls are also
 * served through Hono's dispatch alone ("no lane"), for the hot lane's gain
 * in the same process (src/gateway/_lane.ts).
 *
 *   npx deno run -A bench/gateway_bench.ts
 *
 * Settings (environment): BENCH_ROUNDS (5), BENCH_SECONDS (5),
 * BENCH_CONNECTIONS (50), BENCH_THREADS (2), BENCH_RUNTIMES (`deno,bun`),
 * WRK (path of wrk, default `wrk`), BENCH_BEFORE (the root of another
 * checkout, e.g. an older commit with this `bench/` copied in: its server is
 * started beside each runtime's and loaded in the same interleaved rounds,
 * for a before/after in one run).
 *
 * @module
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { BenchVariant } from "./_gateway_bench_server.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const env = (name: string): string | undefined =>
  g.Deno ? g.Deno.env.get(name) : g.process?.env?.[name];
const num = (name: string, fallback: number): number => Number(env(name) ?? fallback);

const ROUNDS = num("BENCH_ROUNDS", 5);
const SECONDS = num("BENCH_SECONDS", 5);
const CONNECTIONS = num("BENCH_CONNECTIONS", 50);
const THREADS = num("BENCH_THREADS", 2);
const RUNTIMES = (env("BENCH_RUNTIMES") ?? "deno,bun").split(",");
const WRK = env("WRK") ?? "wrk";
const LUA = fileURLToPath(new URL("./wrk_request.lua", import.meta.url));
const SERVER = fileURLToPath(new URL("./_gateway_bench_server.ts", import.meta.url));
const BEFORE = env("BENCH_BEFORE");
const BIN = fileURLToPath(new URL("../node_modules/.bin/", import.meta.url));

/** What one wrk run measured. */
interface Sample {
  rps: number;
  p99ms: number;
  errors: number;
}

/** One runtime's server process and what it serves. */
interface Server {
  runtime: string;
  variants: BenchVariant[];
  child: ChildProcess;
  lines: AsyncIterator<string>;
}

function wrk(v: BenchVariant): Promise<Sample> {
  const args = [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "-s", LUA, v.url];
  const vars: Record<string, string> = {
    PATH: env("PATH") ?? "/usr/bin",
    WRK_METHOD: v.method,
    WRK_BODY: v.body ?? "",
    WRK_AUTH: v.auth ?? "",
    WRK_COOKIE: v.cookie ?? "",
  };
  return new Promise((resolve, reject) => {
    execFile(WRK, args, { env: vars }, (err, stdout) => {
      if (err) return reject(err);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
      const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1];
      const sockErr = /Socket errors:.*?(\d+).*?(\d+).*?(\d+).*?(\d+)/.exec(stdout);
      if (rps === undefined || p99 === null) return reject(new Error(`wrk output:\n${stdout}`));
      const unit = p99[2] === "us" ? 0.001 : p99[2] === "s" ? 1000 : 1;
      const errors = Number(non2xx ?? 0) +
        (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
      resolve({ rps: Number(rps), p99ms: Number(p99[1]) * unit, errors });
    });
  });
}

async function start(runtime: string, root?: string): Promise<Server> {
  const server = root === undefined ? SERVER : `${root}/bench/_gateway_bench_server.ts`;
  const [cmd, args] = runtime === "deno"
    ? [`${BIN}deno`, ["run", "-A", server]]
    : [`${BIN}bun`, [server]];
  const child = spawn(cmd, args, {
    stdio: ["pipe", "pipe", "inherit"],
    ...(root === undefined ? {} : { cwd: root }),
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`The ${runtime} bench server did not start`);
  const info = JSON.parse(first.value) as { runtime: string; variants: BenchVariant[] };
  const label = root === undefined ? info.runtime : `${info.runtime}, before (${root})`;
  return { runtime: label, variants: info.variants, child, lines };
}

async function stop(server: Server): Promise<string> {
  server.child.stdin?.end();
  const last = await server.lines.next();
  if (last.done) return "?";
  const { upstreamCalls, byPath } = JSON.parse(last.value) as {
    upstreamCalls: number;
    byPath: Record<string, number>;
  };
  return `${upstreamCalls} ${JSON.stringify(byPath)}`;
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] ?? 0 : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

async function main(): Promise<void> {
  const servers: Server[] = [];
  for (const runtime of RUNTIMES) {
    if (BEFORE !== undefined) servers.push(await start(runtime, BEFORE));
    servers.push(await start(runtime));
  }
  // samples[server][variant] = one sample a round
  const samples = servers.map((s) => s.variants.map((): Sample[] => []));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [si, server] of servers.entries()) {
      for (const [vi, variant] of server.variants.entries()) {
        const sample = await wrk(variant);
        samples[si]?.[vi]?.push(sample);
        console.error(
          `round ${round} ${server.runtime} ${variant.name}: ${sample.rps.toFixed(0)} req/s, ` +
            `p99 ${sample.p99ms.toFixed(2)} ms${sample.errors ? `, ${sample.errors} errors` : ""}`,
        );
      }
    }
  }
  console.log(
    `\n${ROUNDS} interleaved rounds of ${SECONDS} s, wrk -t${THREADS} -c${CONNECTIONS}, medians; ` +
      "ratio spread: lowest–highest of the per-round ratios",
  );
  for (const [si, server] of servers.entries()) {
    const upstreamCalls = await stop(server);
    const rows = server.variants.map((v, vi) => ({ v, list: samples[si]?.[vi] ?? [] }));
    console.log(`\n${server.runtime}`);
    console.log(
      "| variant | req/s | µs/request | p99 (ms) | of baseline | spread | of floor | p99 × | errors |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const { v, list } of rows) {
      const base = rows.find((r) => r.v.name === v.baseline)?.list ?? [];
      const ratios = list.map((x, i) => x.rps / (base[i]?.rps ?? NaN));
      const floor = rows.find((r) => r.v.name === v.floor)?.list;
      const ofFloor = floor === undefined
        ? ""
        : median(list.map((x, i) => x.rps / (floor[i]?.rps ?? NaN))).toFixed(2);
      const rps = median(list.map((x) => x.rps));
      const p99 = median(list.map((x) => x.p99ms));
      const p99base = median(base.map((x) => x.p99ms));
      console.log(
        `| ${v.name} | ${rps.toFixed(0)} | ${(1e6 / rps).toFixed(1)} | ${p99.toFixed(2)} | ${
          median(ratios).toFixed(2)
        } | ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} | ${ofFloor} | ${
          (p99 / p99base).toFixed(2)
        } | ${list.reduce((a, x) => a + x.errors, 0)} |`,
      );
    }
    console.log(`upstream calls during the runs: ${upstreamCalls}`);
  }
}

await main();
