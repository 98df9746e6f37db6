/**
 * Test helper: src/runtime/worker.ts bundled with esbuild (as wrangler does)
 * and run in workerd through Miniflare, in front of an upstream URL.
 *
 * @module
 */
import * as esbuild from "esbuild";
import { DEMO_ORG } from "../src/emulator/mod.ts";

/** The little of a Miniflare response the tests use. */
export interface MfResponse extends Response {}

/** The little of Miniflare the tests use. */
export interface MiniflareLike {
  dispatchFetch(url: string, init?: RequestInit): Promise<MfResponse>;
  dispose(): Promise<void>;
}

// Loaded by a computed specifier: Miniflare's types would replace the
// standard globals for every file of a `deno check`.
const MINIFLARE = "miniflare";

const WORKER = new URL("../src/runtime/worker.ts", import.meta.url).pathname;
const bundled = new Map<string, Promise<string>>();

/**
 * worker.ts (or another Worker entry) bundled once per test file.
 *
 * @param entry the Worker's entry file (default src/runtime/worker.ts)
 * @returns the bundle's text
 */
export function bundleWorker(entry: string = WORKER): Promise<string> {
  const cached = bundled.get(entry);
  if (cached !== undefined) return cached;
  const built = esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:workers"],
    write: false,
    logLevel: "silent",
  }).then((result) => {
    const out = result.outputFiles[0];
    if (out === undefined) throw new Error("esbuild produced no output");
    return out.text;
  });
  bundled.set(entry, built);
  return built;
}

/**
 * Start the gateway Worker in workerd, with a KV binding, against `upstream`
 * (the emulator's URL) as API and widget.
 *
 * @param upstream the emulator's URL
 * @param bindings more bindings (service key, limits)
 * @param entry the Worker's entry file (default src/runtime/worker.ts)
 * @returns Miniflare
 */
export async function startWorker(
  upstream: string,
  bindings: Record<string, string> = {},
  entry: string = WORKER,
): Promise<MiniflareLike> {
  const { Miniflare } = (await import(MINIFLARE)) as {
    Miniflare: new (options: Record<string, unknown>) => MiniflareLike;
  };
  return new Miniflare({
    modules: true,
    script: await bundleWorker(entry),
    compatibilityDate: "2025-09-01",
    kvNamespaces: ["TOKEN_CACHE"],
    bindings: {
      TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
      TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
      TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
      TRUSTAUTHX_BASE_URL: upstream,
      TRUSTAUTHX_WIDGET_URL: upstream,
      ...bindings,
    },
  });
}
