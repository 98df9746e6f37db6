// Findings 5 and 6: /docs serves Swagger UI from the pinned swagger-ui-dist,
// from the gateway itself (no CDN), under a Content-Security-Policy, on a real
// server, in Chromium and in workerd; /openapi.json never copies the request's
// Host header and says how long it may be cached. Before the fix, /docs loaded
// its script from a CDN (unpinned, no integrity) and `servers` echoed `Host`.
// Swagger UI is opt-in: the gateways here are given `docs: { ui }`, the module
// scripts/build-docs-assets.mjs builds (tests/docs_ui.test.ts: none without it).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { createEmulator } from "../src/emulator/mod.ts";
import type { GatewayDocs } from "../src/gateway/mod.ts";
import { startGateway } from "./_gateway_fixture.ts";
import { serve } from "./_serve.ts";
import { startWorker } from "./_workerd.ts";
import { buildDocsAssets } from "../scripts/build-docs-assets.mjs";

const SLOW = { timeout: 120_000 };
const DOCS_WORKER = new URL("./fixtures/docs_worker.ts", import.meta.url).pathname;
let docs: GatewayDocs;
let SWAGGER_UI_VERSION = "";

before(async () => {
  const { ui } = await import(buildDocsAssets()) as { ui: GatewayDocs["ui"] };
  docs = { ui };
  SWAGGER_UI_VERSION = ui.version;
});
type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

async function checkDocs(send: Fetch, base: string): Promise<void> {
  const page = await send(`${base}/docs`);
  assert.equal(page.status, 200);
  const csp = page.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /connect-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  const html = await page.text();
  assert.doesNotMatch(html, /https?:\/\//, "nothing from another origin");
  assert.doesNotMatch(html, /<script>/, "no inline script");
  const srcs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
  assert.deepEqual(srcs, [
    `docs/${SWAGGER_UI_VERSION}/swagger-ui.css`,
    `docs/${SWAGGER_UI_VERSION}/swagger-ui-bundle.js`,
    `docs/${SWAGGER_UI_VERSION}/init.js`,
  ]);
  const installed = readFileSync("node_modules/swagger-ui-dist/swagger-ui-bundle.js", "utf8");
  const js = await send(`${base}/docs/${SWAGGER_UI_VERSION}/swagger-ui-bundle.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type") ?? "", /^text\/javascript/);
  assert.match(js.headers.get("cache-control") ?? "", /immutable/);
  assert.equal(await js.text(), installed.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n"));
  const css = await send(`${base}/docs/${SWAGGER_UI_VERSION}/swagger-ui.css`);
  assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
  assert.match(await css.text(), /\.swagger-ui/);
  const wrong = await send(`${base}/docs/0.0.1/swagger-ui-bundle.js`);
  assert.equal(wrong.status, 404);
  await wrong.text();

  const doc = await send(`${base}/openapi.json`, {
    headers: { "x-forwarded-host": "evil.example" },
  });
  assert.match(doc.headers.get("cache-control") ?? "", /max-age=\d+/);
  const body = await doc.json() as { servers: Array<{ url: string }> };
  assert.deepEqual(body.servers, [{ url: "/" }]);
}

test("the docs assets are the installed swagger-ui-dist, pinned to one version", () => {
  const pinned =
    JSON.parse(readFileSync("package.json", "utf8")).devDependencies["swagger-ui-dist"];
  assert.match(pinned, /^\d+\.\d+\.\d+$/, "swagger-ui-dist is pinned to one version");
  assert.equal(docs.ui.version, pinned);
  const installed = readFileSync("node_modules/swagger-ui-dist/swagger-ui.css", "utf8");
  assert.equal(docs.ui.css, installed.replace(/\/\*# sourceMappingURL=.*?\*\/\s*$/, ""));
});

test("/openapi.json ignores the Host header: servers is publicUrl or relative", async () => {
  const fx = await startGateway();
  const pub = await startGateway({ publicUrl: "https://auth.example.com/gw" });
  try {
    for (const host of ["evil.example", "gw.test"]) {
      const res = await fx.app.request(`http://${host}/openapi.json`, { headers: { host } });
      assert.deepEqual((await res.json()).servers, [{ url: "/" }]);
      assert.equal(res.headers.get("cache-control"), "public, max-age=300");
    }
    const res = await pub.app.request("http://evil.example/openapi.json");
    assert.deepEqual((await res.json()).servers, [{ url: "https://auth.example.com/gw" }]);
  } finally {
    await fx.close();
    await pub.close();
  }
});

test("/docs and its assets on a real server, and in workerd", SLOW, async () => {
  const fx = await startGateway({ docs });
  const server = await serve((req) => fx.app.fetch(req));
  const emu = createEmulator();
  const upstream = await serve(emu.fetch);
  const mf = await startWorker(upstream.url, {}, DOCS_WORKER);
  try {
    await checkDocs(fetch, server.url);
    await checkDocs((url, init) => mf.dispatchFetch(url, init), "http://gateway.test");
  } finally {
    await mf.dispose();
    await upstream.close();
    await server.close();
    await fx.close();
  }
});

test(
  "/docs renders in Chromium offline, with no CSP violation and no request elsewhere",
  SLOW,
  async () => {
    assert.ok(existsSync("/usr/bin/chromium"), "Chromium is missing at /usr/bin/chromium");
    const fx = await startGateway({ docs });
    const server = await serve((req) => fx.app.fetch(req));
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const elsewhere: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("request", (r) => {
        if (!r.url().startsWith(server.url) && !r.url().startsWith("data:")) {
          elsewhere.push(r.url());
        }
      });
      await page.route((url) => !url.href.startsWith(server.url), (route) => route.abort());
      await page.goto(`${server.url}/docs`);
      await page.locator(".swagger-ui .info .title").filter({ hasText: "authlite gateway" })
        .waitFor();
      await page.locator(".opblock-summary-path", { hasText: "/auth/login" }).first().waitFor();
      assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused/i.test(p)), []);
      assert.deepEqual(elsewhere, []);
    } finally {
      await browser.close();
      await server.close();
      await fx.close();
    }
  },
);
