/**
 * The server side of `bench/gateway_bench.ts`: serves, side by side in one
 * process, each step from a bare Hono route to the gateway
 * (`_gateway_bench_apps.ts`), on loopback ports, and prints one JSON line
 * describing them. Runs under Deno or Bun; stops when its standard input
 * closes.
 *
 * @module
 */
import { benchApps } from "./_gateway_bench_apps.ts";
import { serve, type TestServer } from "../tests/_serve.ts";

/** One load target, as the driver reads it. */
export interface BenchVariant {
  /** What it is. */
  name: string;
  /** The variant it is compared with. */
  baseline: string;
  /** The bare route doing only what the gateway must, if any. */
  floor?: string;
  /** The URL to load. */
  url: string;
  /** The request: method, body, headers. */
  method: "GET" | "POST";
  body?: string;
  auth?: string;
  cookie?: string;
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

async function main(): Promise<void> {
  const bench = await benchApps();
  // One server per distinct app (the bare routes share one).
  const servers = new Map<BenchVariant["url"], TestServer>();
  const byFetch = new Map<unknown, TestServer>();
  const variants: BenchVariant[] = [];
  for (const app of bench.apps) {
    let server = byFetch.get(app.fetch);
    if (server === undefined) {
      server = await serve(app.fetch);
      byFetch.set(app.fetch, server);
      servers.set(server.url, server);
    }
    const { fetch: _, path, ...rest } = app;
    variants.push({ ...rest, url: `${server.url}${path}` });
  }
  const runtime = g.Deno ? `Deno ${g.Deno.version.deno}` : `Bun ${g.Bun?.version}`;
  console.log(JSON.stringify({ runtime, variants }));

  // Until the driver closes our standard input; then report the upstream calls.
  const stdin = g.Deno ? g.Deno.stdin.readable : g.Bun.stdin.stream();
  for await (const _ of stdin) { /* the driver sends nothing */ }
  const { total, byPath } = bench.upstream();
  console.log(JSON.stringify({ upstreamCalls: total, byPath }));
  await Promise.all([...servers.values()].map((x) => x.close()));
  await bench.close();
  g.Deno ? g.Deno.exit(0) : g.process.exit(0);
}

await main();
