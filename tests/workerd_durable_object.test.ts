/**
 * The Worker with its Durable Object binding, for real: src/runtime/worker.ts
 * bundled with esbuild and run in workerd (Miniflare) as two Workers, two
 * isolates with their own in-process caches, sharing the objects of one
 * `AUTH_STORE` namespace, as isolates in different locations share them on
 * Cloudflare. The upstream is the emulator on a loopback socket, which counts
 * the refreshes.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as esbuild from "esbuild";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { serve } from "./_serve.ts";

// Loaded by a computed specifier: Miniflare's types bring the Workers globals.
interface MfWorker {
  fetch(url: string, init?: RequestInit): Promise<Response>;
}
interface MiniflareLike {
  getWorker(name: string): Promise<MfWorker>;
  dispose(): Promise<void>;
}
const MINIFLARE = "miniflare";
const { Miniflare } = (await import(MINIFLARE)) as {
  Miniflare: new (options: Record<string, unknown>) => MiniflareLike;
};

const SERVICE_KEY = "workerd-service-key-0123456789";
// deno-lint-ignore no-unused-vars
const REFRESH_PATH = "/api/user/me/access/token/";

async function bundleWorker(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [new URL("../src/runtime/worker.ts", import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:workers"],
    write: false,
    logLevel: "silent",
  });
  const out = result.outputFiles[0];
  if (out === undefined) throw new Error("esbuild produced no output");
  return out.text;
}

/** Two gateway Workers in front of `upstream`, sharing the AUTH_STORE objects of the first. */
async function startGateways(upstream: string): Promise<{
  mf: MiniflareLike;
  a: MfWorker;
  b: MfWorker;
}> {
  const script = await bundleWorker();
  const gateway = (name: string) => ({
    name,
    modules: true,
    script,
    compatibilityDate: "2025-09-01",
    bindings: {
      TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
      TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
      TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
      TRUSTAUTHX_BASE_URL: upstream,
      TRUSTAUTHX_WIDGET_URL: upstream,
      SERVICE_KEY,
    },
    durableObjects: {
      AUTH_STORE: { className: "AuthLiteStoreObject", scriptName: "gateway-a" },
    },
  });
  const mf = new Miniflare({ workers: [gateway("gateway-a"), gateway("gateway-b")] });
  return { mf, a: await mf.getWorker("gateway-a"), b: await mf.getWorker("gateway-b") };
}

type Jar = Map<string, string>;

function keepCookies(res: Response, jar: Jar): void {
  for (const line of res.headers.getSetCookie()) {
    const [pair = ""] = line.split(";");
    const i = pair.indexOf("=");
    const value = pair.slice(i + 1);
    if (value === "" || /max-age=0/i.test(line)) jar.delete(pair.slice(0, i));
    else jar.set(pair.slice(0, i), value);
  }
}

const cookieOf = (jar: Jar): string => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

/** Sign in through gateway `w`: login, the widget's code, callback. */
// deno-lint-ignore no-unused-vars
async function signIn(w: MfWorker, code: string): Promise<Jar> {
  const jar: Jar = new Map();
  const login = await w.fetch("http://gateway.test/auth/login", { redirect: "manual" });
  keepCookies(login, jar);
  await login.arrayBuffer();
  const cb = await w.fetch(`http://gateway.test/auth/callback?code=${code}`, {
    redirect: "manual",
    headers: { cookie: cookieOf(jar) },
  });
  assert.equal(cb.status, 302);
  keepCookies(cb, jar);
  await cb.arrayBuffer();
  assert.ok(jar.has("authlite_access") && jar.has("authlite_refresh"));
  return jar;
}

test("worker.ts with AUTH_STORE: a token set validated on one isolate is a store hit on the other", async () => {
  const emu = createEmulator();
  const upstream = await serve(emu.fetch);
  const { mf, a, b } = await startGateways(upstream.url);
  try {
    const s = emu.session({ email: "shared@example.com" });
    const init = {
      method: "POST",
      headers: { authorization: `Bearer ${SERVICE_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ accessToken: s.accessToken, refreshToken: s.refreshToken }),
    };
    const first = await a.fetch("http://gateway.test/rpc/validateTokenSet", init);
    assert.deepEqual(await first.json(), {
      state: true,
      access: s.accessToken,
      refresh: s.refreshToken,
    });
    emu.resetRequests();
    const second = await b.fetch("http://gateway.test/rpc/validateTokenSet", init);
    assert.equal(second.status, 200);
    await second.arrayBuffer();
    assert.equal(emu.requests().total, 0, "answered from the Durable Object store");
  } finally {
    await mf.dispose();
    await upstream.close();
  }
});

test("worker.ts without AUTH_STORE and TOKEN_CACHE answers 500 naming both", async () => {
  const mf = new Miniflare({
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: "2025-09-01",
    bindings: {
      TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
      TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
      TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
    },
  });
  try {
    const res = await (await mf.getWorker("")).fetch("http://gateway.test/health");
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.match(text, /missing AUTH_STORE .* or TOKEN_CACHE /);
    assert.ok(!text.includes(DEMO_ORG.secretKey));
  } finally {
    await mf.dispose();
  }
});
