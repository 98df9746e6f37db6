/**
 * Throughput and p99 latency of the gateway's cached token-set routes
 * against a bare Hono JSON route, on the runtime that runs this file, with
 * load from `wrk` (a separate process), interleaved rounds, medians.
 *
 *   deno run -A bench/gateway_bench.ts
 *   bun bench/gateway_bench.ts
 *
 * Settings (environment): BENCH_ROUNDS (5), BENCH_SECONDS (5),
 * BENCH_CONNECTIONS (50), BENCH_THREADS (2), WRK (path of wrk, default `wrk`).
 *
 * @module
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { AuthLiteClient, memoryStore } from "../mod.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { createGateway } from "../src/gateway/mod.ts";
import { serve } from "../tests/_serve.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const env = (name: string): string | undefined =>
  g.Deno ? g.Deno.env.get(name) : g.process?.env?.[name];
const num = (name: string, fallback: number): number => Number(env(name) ?? fallback);

const ROUNDS = num("BENCH_ROUNDS", 5);
const SECONDS = num("BENCH_SECONDS", 5);
const CONNECTIONS = num("BENCH_CONNECTIONS", 50);
const THREADS = num("BENCH_THREADS", 2);
const WRK = env("WRK") ?? "wrk";
const LUA = fileURLToPath(new URL("./wrk_request.lua", import.meta.url));
const SERVICE_KEY = "bench-service-key-0123456789";

/** One load target. */
interface Target {
  name: string;
  url: string;
  env: Record<string, string>;
}

/** What one wrk run measured. */
interface Sample {
  rps: number;
  p99ms: number;
  errors: number;
}

function run(target: Target): Promise<Sample> {
  const args = [
    `-t${THREADS}`,
    `-c${CONNECTIONS}`,
    `-d${SECONDS}s`,
    "--latency",
    "-s",
    LUA,
    target.url,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      WRK,
      args,
      { env: { ...target.env, PATH: env("PATH") ?? "/usr/bin" } },
      (err, stdout) => {
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
      },
    );
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] ?? 0 : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const runtime = g.Deno ? `deno ${g.Deno.version.deno}` : `bun ${g.Bun?.version}`;
  const emu = createEmulator();
  const upstream = await serve(emu.fetch);
  const client = new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: upstream.url,
    widgetUrl: upstream.url,
    tokenCache: memoryStore(),
  });
  const gateway = createGateway({
    client,
    sessionSecret: "bench-session-secret-0123456789-0123456789",
    serviceKey: SERVICE_KEY,
    cookie: { secure: false },
  });
  const gw = await serve(gateway.fetch);

  const bare = new Hono().post("/json", async (c) => {
    const body = await c.req.json<{ accessToken: string; refreshToken: string }>();
    return c.json({ state: true, access: body.accessToken, refresh: body.refreshToken });
  });
  const bareServer = await serve(bare.fetch);

  // A session, validated once so that the runs hit the cache.
  const s = emu.session({ email: "bench@example.com" });
  const body = JSON.stringify({ accessToken: s.accessToken, refreshToken: s.refreshToken });
  const warm = await fetch(`${gw.url}/rpc/validateTokenSet`, {
    method: "POST",
    headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
    body,
  });
  if (warm.status !== 200) throw new Error(`Warm-up failed: ${warm.status}`);
  await warm.body?.cancel();
  const code = emu.mintCode({ email: "bench@example.com" });
  const login = await fetch(`${gw.url}/auth/login`, { redirect: "manual" });
  const loginCookie = (login.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
  await login.body?.cancel();
  const cb = await fetch(`${gw.url}/auth/callback?code=${code}`, {
    redirect: "manual",
    headers: { cookie: loginCookie },
  });
  const cookie = cb.headers.getSetCookie().map((l) => l.split(";")[0]).filter((p) =>
    !p?.endsWith("=")
  ).join("; ");
  await cb.body?.cancel();
  const me = await fetch(`${gw.url}/auth/me`, { headers: { cookie } });
  if (me.status !== 200) throw new Error(`Session warm-up failed: ${me.status}`);
  await me.body?.cancel();

  const targets: Target[] = [
    {
      name: "bare Hono POST /json",
      url: `${bareServer.url}/json`,
      env: { WRK_METHOD: "POST", WRK_BODY: body },
    },
    {
      name: "gateway POST /rpc/validateTokenSet (cached)",
      url: `${gw.url}/rpc/validateTokenSet`,
      env: { WRK_METHOD: "POST", WRK_BODY: body, WRK_AUTH: `Bearer ${SERVICE_KEY}` },
    },
    {
      name: "gateway GET /auth/me (cached, cookies)",
      url: `${gw.url}/auth/me`,
      env: { WRK_METHOD: "GET", WRK_COOKIE: cookie },
    },
  ];
  const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
  emu.resetRequests();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of targets) {
      const sample = await run(target);
      samples.get(target.name)?.push(sample);
      console.error(
        `round ${round} ${target.name}: ${sample.rps.toFixed(0)} req/s, p99 ${
          sample.p99ms.toFixed(2)
        } ms${sample.errors ? `, ${sample.errors} errors` : ""}`,
      );
    }
  }
  const upstreamCalls = emu.requests().total;

  const rows = targets.map((t) => {
    const list = samples.get(t.name) ?? [];
    return {
      name: t.name,
      rps: median(list.map((x) => x.rps)),
      p99: median(list.map((x) => x.p99ms)),
      errors: list.reduce((a, x) => a + x.errors, 0),
    };
  });
  const base = rows[0];
  console.log(
    `\n${runtime}: ${ROUNDS} interleaved rounds of ${SECONDS} s, wrk -t${THREADS} -c${CONNECTIONS}, medians`,
  );
  console.log("| route | req/s | p99 (ms) | req/s vs bare | p99 vs bare | errors |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    const ratio = base ? (r.rps / base.rps).toFixed(2) : "-";
    const p99ratio = base ? (r.p99 / base.p99).toFixed(2) : "-";
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${
        r.p99.toFixed(2)
      } | ${ratio} | ${p99ratio} | ${r.errors} |`,
    );
  }
  console.log(`upstream calls during the runs: ${upstreamCalls}`);

  await gw.close();
  await bareServer.close();
  await upstream.close();
}

await main();
