/**
 * The Worker's cold start: the gateway Worker (src/runtime/worker.ts,
 * bundled and minified by esbuild as wrangler does) against a baseline
 * Worker that answers "ok" and imports nothing, each started in a fresh
 * workerd (Miniflare) and timed from `new Miniflare()` to the first response
 * of `GET /health`, then of a first `GET /openapi.json` (the document is built
 * on first use). The baseline is measured in the same run, interleaved, so the
 * difference is what the gateway's module costs a new isolate. The bundle's
 * size (minified, gzipped) is printed beside it. A third Worker is the same
 * gateway bundled without zod's ~40 locales (English kept): they are 38% of
 * the bundle, reachable through the `z` namespace that `@hono/zod-openapi`
 * extends, so no tree-shaking drops them; a deployment's bundler can.
 *
 *   npx deno run -A bench/cold_start.ts
 *
 * Settings (environment): BENCH_ROUNDS (7).
 *
 * @module
 */
import * as esbuild from "esbuild";
import { gzipSync } from "node:zlib";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const env = (name: string): string | undefined =>
  g.Deno ? g.Deno.env.get(name) : g.process?.env?.[name];
const ROUNDS = Number(env("BENCH_ROUNDS") ?? 7);

// A computed specifier: Miniflare's types would replace the standard globals.
const MINIFLARE = "miniflare";
const { Miniflare } = (await import(MINIFLARE)) as {
  Miniflare: new (options: Record<string, unknown>) => {
    ready: Promise<URL>;
    dispatchFetch(url: string): Promise<Response>;
    dispose(): Promise<void>;
  };
};

/**
 * An esbuild plugin: zod's locales index (imported by zod's `z` and core
 * namespaces) resolves to English alone, the locale zod configures itself with.
 */
const englishOnly: esbuild.Plugin = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve(
      { filter: /locales\/index\.js$/ },
      (args) =>
        args.importer.includes("/node_modules/zod/")
          ? { path: new URL("en.js", `file://${args.importer}/../../locales/`).pathname }
          : undefined,
    );
  },
};

async function bundle(plugins: esbuild.Plugin[] = []): Promise<string> {
  const result = await esbuild.build({
    plugins,
    entryPoints: [new URL("../src/runtime/worker.ts", import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:workers"],
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

const BASELINE = `export default { fetch() { return new Response("ok"); } };`;

interface Timing {
  ready: number;
  health: number;
  openapi: number;
}

async function start(script: string, durableObjects: boolean): Promise<Timing> {
  const t0 = performance.now();
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2025-09-01",
    kvNamespaces: ["TOKEN_CACHE"],
    ...(durableObjects
      ? { durableObjects: { AUTH_STORE: { className: "AuthLiteStoreObject", useSQLite: true } } }
      : {}),
    bindings: {
      TRUSTAUTHX_API_KEY: "bench-api-key",
      TRUSTAUTHX_SECRET_KEY: "bench-secret-key",
      TRUSTAUTHX_ORG_ID: "bench-org",
      TRUSTAUTHX_BASE_URL: "http://127.0.0.1:9",
      TRUSTAUTHX_WIDGET_URL: "http://127.0.0.1:9",
    },
  });
  try {
    await mf.ready;
    const ready = performance.now() - t0;
    const health = await mf.dispatchFetch("http://localhost/health");
    await health.arrayBuffer();
    const tHealth = performance.now() - t0;
    const doc = await mf.dispatchFetch("http://localhost/openapi.json");
    await doc.arrayBuffer();
    const tDoc = performance.now() - t0;
    return { ready, health: tHealth, openapi: tDoc };
  } finally {
    await mf.dispose();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const script = await bundle();
const slim = await bundle([englishOnly]);
for (const [name, code] of [["Worker bundle", script], ["without zod's locales", slim]]) {
  const bytes = new TextEncoder().encode(code).byteLength;
  const gz = gzipSync(code!, { level: 9 }).byteLength;
  console.log(
    `${name} (esbuild, minified): ${(bytes / 1024).toFixed(1)} KB, ${
      (gz / 1024).toFixed(1)
    } KB gzipped`,
  );
}

const gateway: Timing[] = [];
const baseline: Timing[] = [];
const english: Timing[] = [];
await start(BASELINE, false); // warm the workerd binary's page cache
for (let i = 0; i < ROUNDS; i++) {
  baseline.push(await start(BASELINE, false));
  gateway.push(await start(script, true));
  english.push(await start(slim, true));
}
const row = (name: string, ts: Timing[]) =>
  `${name.padEnd(22)} ready ${median(ts.map((t) => t.ready)).toFixed(0).padStart(5)} ms` +
  `  first /health ${median(ts.map((t) => t.health)).toFixed(0).padStart(5)} ms` +
  `  then /openapi.json ${median(ts.map((t) => t.openapi)).toFixed(0).padStart(5)} ms`;
console.log(`Cold start in workerd (Miniflare), median of ${ROUNDS} interleaved rounds:`);
console.log(row("baseline", baseline));
console.log(row("gateway", gateway));
console.log(row("gateway, English only", english));
const extra = median(gateway.map((t) => t.health)) - median(baseline.map((t) => t.health));
console.log(
  `The gateway's module costs a new isolate about ${extra.toFixed(0)} ms to first response`,
);
const saved = median(gateway.map((t) => t.health)) - median(english.map((t) => t.health));
console.log(`Without zod's locales: ${saved.toFixed(0)} ms sooner`);
