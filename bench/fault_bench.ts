/**
 * Faults and floods, the long form of `tests/fault_gateways.test.ts` and
 * `tests/flood_sessions.test.ts` (issue 17): the same scenarios (`tests/_weather_fault.ts`,
 * `tests/_weather_flood.ts`) with more clients, longer faults and a bigger flood, printing
 * the figures: sessions lost, refresh tokens redeemed more than once, 5xx outside and inside
 * the faults, recovery time after each fault, latency, upstream calls, the gateways' memory.
 *
 *   npx deno run -A bench/fault_bench.ts        (or: npx bun bench/fault_bench.ts)
 *
 * Needs `redis-server`. Settings (environment): FAULT_BROWSERS (60), FAULT_SERVICES (6),
 * FAULT_TICK_MS (400), FAULT_ACCESS_TTL_SECONDS (5), FAULT_HOLD_MS (8000), FAULT_LATENCY_MS
 * (400), FAULT_REDIS_DOWN_MS (5000; the issue's long outage: 20000), FAULT_GATEWAY_DOWN_MS
 * (2000), FAULT_CALM_MS (5000), FLOOD_REQUESTS (50000), FLOOD_CONCURRENCY (128),
 * FLOOD_LATENCY_MS (80), BENCH_PARTS (`fault,flood`), BENCH_JSON (`1`: the raw reports too).
 *
 * @module
 */
import process from "node:process";
import { runFaultScenario } from "../tests/_weather_fault.ts";
import { runFloodScenario } from "../tests/_weather_flood.ts";

const env = (name: string): string | undefined => process.env[name];
const num = (name: string, fallback: number): number => Number(env(name) ?? fallback);
const parts = (env("BENCH_PARTS") ?? "fault,flood").split(",");
const raw = env("BENCH_JSON") === "1";
const log = (line: string) => console.error(`  ${line}`);
const pad = (v: unknown, n: number) => String(v).padEnd(n);

if (parts.includes("fault")) {
  const settings = {
    browsers: num("FAULT_BROWSERS", 60),
    services: num("FAULT_SERVICES", 6),
    tickMs: num("FAULT_TICK_MS", 400),
    accessTtlSeconds: num("FAULT_ACCESS_TTL_SECONDS", 5),
    holdMs: num("FAULT_HOLD_MS", 8000),
    latencyMs: num("FAULT_LATENCY_MS", 400),
    redisDownMs: num("FAULT_REDIS_DOWN_MS", 5000),
    gatewayDownMs: num("FAULT_GATEWAY_DOWN_MS", 2000),
    calmMs: num("FAULT_CALM_MS", 5000),
    recoveryBoundMs: 60_000,
    requestTimeoutMs: 30_000,
    log,
  };
  console.log(
    `== faults: two Bun gateways, one redis-server; ${settings.browsers} browsers, ${settings.services} services, a tick of ${settings.tickMs} ms (two requests each)`,
  );
  const r = await runFaultScenario(settings);
  console.log(
    `requests ${r.requests}, upstream calls ${r.upstreamCalls}, run complete: ${r.complete}`,
  );
  console.log(
    `sessions lost: ${r.lost.total} (browsers ${r.lost.browsers}, services ${r.lost.services})`,
  );
  for (const e of r.lost.examples) console.log(`  e.g. ${e.slice(0, 160)}`);
  console.log(
    `refresh tokens presented upstream: ${r.refreshes.presented} (${r.refreshes.tokens} tokens), more than once: ${r.refreshes.reused} (at most ${r.refreshes.most} times)`,
  );
  console.log(`5xx outside the faults: ${JSON.stringify(r.outside5xx)}`);
  for (const e of r.outside5xxExamples) console.log(`  e.g. ${e}`);
  console.log(
    `in the faults: 503 + Retry-After ${r.inside503}, other 5xx ${
      JSON.stringify(r.inside5xxOther)
    }`,
  );
  console.log(`failed connections outside the faults: ${JSON.stringify(r.outsideFailed)}`);
  console.log(`latency outside the faults (ms): ${JSON.stringify(r.latencyOutsideMs)}`);
  console.log(
    `\n${pad("fault", 32)}${pad("recovery", 10)}${pad("last fail", 11)}${pad("settled", 10)}${
      pad("lost", 6)
    }${pad("ok", 7)}${pad("503+RA", 8)}${pad("5xx", 6)}${pad("failed", 8)}${
      pad("upstream", 10)
    }others`,
  );
  for (const w of r.windows) {
    console.log(
      `${pad(w.name, 32)}${
        pad(w.recoveredAfterMs === null ? "never" : `${w.recoveredAfterMs} ms`, 10)
      }${pad(`${w.lastFailureMs} ms`, 11)}${
        pad(w.settledAfterMs === null ? "never" : `${w.settledAfterMs} ms`, 10)
      }${pad(w.lost, 6)}${pad(w.replies.ok, 7)}${pad(w.replies.unavailable, 8)}${
        pad(w.replies.other5xx, 6)
      }${pad(w.replies.failed, 8)}${pad(w.upstreamCalls, 10)}${JSON.stringify(w.replies.others)}`,
    );
  }
  console.log(
    `(recovery: from the end of the fault until every client's last run of good ticks began; last failure: the last failed reply after the end; settled: until every client's good run had lasted an access-token lifetime + 1 s, which closes the window)`,
  );
  console.log(`RSS (MiB) after sign-in, after each fault, at the end:`);
  console.log(`  A: ${r.rssMiB.A.join(", ")}  (A restarts in the last fault)`);
  console.log(`  B: ${r.rssMiB.B.join(", ")}`);
  if (raw) console.log(JSON.stringify(r));
}

if (parts.includes("flood")) {
  const settings = {
    requests: num("FLOOD_REQUESTS", 50_000),
    concurrency: num("FLOOD_CONCURRENCY", 128),
    latencyMs: num("FLOOD_LATENCY_MS", 80),
    userRequests: 40,
    requestTimeoutMs: 60_000,
    log,
  };
  console.log(
    `\n== flood: ${settings.requests} bogus sessions from one address, ${settings.concurrency} at once, upstream latency ${settings.latencyMs} ms; one Bun gateway, defaults`,
  );
  const r = await runFloodScenario(settings);
  for (const [route, statuses] of Object.entries(r.flood)) {
    console.log(`  ${pad(route, 40)}${JSON.stringify(statuses)}`);
  }
  console.log(
    `upstream calls: ${r.upstreamCalls} (${r.upstreamPerRequest} per flood request); the flood took ${r.floodMs} ms`,
  );
  console.log(
    `real user /auth/me (ms): unloaded ${JSON.stringify(r.unloaded.ms)}, under the flood ${
      JSON.stringify(r.loaded.ms)
    }: median ratio ${r.latencyRatio}; answered during the flood ${r.loaded.answered}/${settings.userRequests}, statuses ${
      JSON.stringify(r.loaded.statuses)
    }`,
  );
  console.log(`gateway RSS (MiB): ${JSON.stringify(r.rssMiB)}`);
  if (raw) console.log(JSON.stringify(r));
}
