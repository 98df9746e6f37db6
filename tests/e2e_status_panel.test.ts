/**
 * The demo page's "Gateway status" panel (issue 18), in headless Chromium: an
 * admin signed in through the emulator's widget sees the gateway's figures
 * (GET /admin/status: hit ratio, upstream and store latency and errors,
 * breakers, last minute and since start) and can refresh them; a user who is
 * not an admin never sees the panel. Seen failing before the panel existed.
 *
 * @module
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { AuthLiteClient, memoryStore } from "../mod.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { createGateway, createTelemetry } from "../src/gateway/mod.ts";
import { buildUi, type UiBundle, uiRoutes } from "../web/mod.ts";
import { serve } from "./_serve.ts";

const CHROMIUM = "/usr/bin/chromium";
const SLOW = { timeout: 120_000 };
let browser: Browser | undefined;
let bundle: UiBundle | undefined;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}`);
  bundle = await buildUi();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
});

async function signIn(page: Page, url: string, email: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.waitForURL(/\/widget\/login\//);
  await page.getByLabel("E-mail").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(`${url}/`);
  await page.getByRole("heading", { name: "Your account" }).waitFor();
}

test(
  "the page shows admins a Gateway status panel with the gateway's figures, and others none",
  SLOW,
  async () => {
    assert.ok(browser && bundle);
    const pageBundle = bundle;
    let gwHandler: (req: Request) => Response | Promise<Response> = () =>
      new Response("Starting", { status: 503 });
    const gwServer = await serve((req) => gwHandler(req));
    const emu = createEmulator({
      control: true,
      orgs: [{ ...DEMO_ORG, callbackUrl: `${gwServer.url}/auth/callback` }],
    });
    const emuServer = await serve(emu.fetch);
    const context = await browser.newContext({ viewport: { width: 900, height: 1400 } });
    context.setDefaultTimeout(20_000);
    try {
      const telemetry = createTelemetry({ logger: false });
      const client = new AuthLiteClient({
        apiKey: DEMO_ORG.apiKey,
        secretKey: DEMO_ORG.secretKey,
        orgId: DEMO_ORG.orgId,
        baseUrl: emuServer.url,
        widgetUrl: emuServer.url,
        tokenCache: memoryStore(),
        retries: 0,
        observe: telemetry.observe,
      });
      const app = createGateway({
        client,
        telemetry,
        sessionSecret: "e2e-status-session-secret-0123456789abcdef",
        cookie: { secure: false },
        ui: (gateway) => gateway.route("/", uiRoutes({ bundle: pageBundle })),
      });
      gwHandler = app.fetch;
      const adminRole = emu.seedRole({ name: "admin", permissions: [{ admin: "true" }] });
      emu.seedUser({ email: "ada@example.com", name: "Ada", roles: [adminRole.rol_id] });
      emu.seedUser({ email: "bob@example.com", name: "Bob" });

      const page = await context.newPage();
      await signIn(page, gwServer.url, "ada@example.com");
      const panel = page.getByRole("region", { name: "Gateway status" });
      await panel.waitFor();
      const table = panel.getByRole("table", { name: "Figures of this gateway instance" });
      const cell = (figure: string, column: number) =>
        table.getByRole("row", { name: new RegExp(`^${figure}`) }).getByRole("cell").nth(column);
      const calls = Number(await cell("Upstream calls", 1).textContent());
      assert.ok(calls >= 2, `upstream calls since start: ${calls}`);
      assert.match((await cell("Upstream p50", 0).textContent()) ?? "", /^\d+(\.\d+)? ms$/);
      assert.equal(await cell("Upstream errors", 0).textContent(), "none");
      await panel.getByRole("list", { name: "Circuit breakers" }).getByText("upstream: closed")
        .waitFor();

      // An upstream failure shows up after a refresh of the panel.
      emu.inject({ kind: "status", status: 503, count: 1 });
      await page.request.get(`${gwServer.url}/admin/roles`).catch(() => undefined);
      await panel.getByRole("button", { name: "Refresh status" }).click();
      await cell("Upstream errors", 0).getByText("1 × 503").waitFor();
      await page.screenshot({ path: ".tmp/screenshots/status-panel.png", fullPage: true }).catch(
        () => {},
      );

      const other = await context.browser()!.newContext();
      try {
        const bobPage = await other.newPage();
        await signIn(bobPage, gwServer.url, "bob@example.com");
        await bobPage.getByRole("region", { name: "Roles and permissions" }).getByRole("note")
          .waitFor();
        assert.equal(await bobPage.getByRole("region", { name: "Gateway status" }).count(), 0);
      } finally {
        await other.close();
      }
    } finally {
      await context.close();
      await gwServer.close();
      await emuServer.close();
    }
  },
);
