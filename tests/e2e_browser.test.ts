/**
 * End to end, in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) walks the demo page of the gateway, with the emulator as TrustAuthX,
 * both on loopback sockets. Screenshots go to .tmp/screenshots/; with
 * AUTHLITE_DOCS_SCREENSHOT=1 the admin view is also saved as docs/screenshot.png
 * (scripts/screenshot.sh).
 *
 * @module
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { AuthLiteClient, memoryStore } from "../mod.ts";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { createGateway } from "../src/gateway/mod.ts";
import { buildUi, type UiBundle, uiRoutes } from "../web/mod.ts";
import { serve, type TestServer } from "./_serve.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SHOTS = ".tmp/screenshots";
const ACCESS_TTL = 600;
const SESSION_SECRET = "e2e-session-secret-0123456789abcdef-0123456789";
const REFRESH_PATH = "/api/user/me/access/token/";
// A browser journey takes a few seconds: more than bun's default of 5 s per test.
const SLOW = { timeout: 120_000 };

const AVATAR = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72">
<rect width="72" height="72" fill="#3557d6"/><circle cx="36" cy="28" r="13" fill="#dfe5f5"/>
<path d="M12 66c3-14 13-21 24-21s21 7 24 21z" fill="#dfe5f5"/></svg>`;

interface Stack {
  emu: Emulator;
  url: string;
  ada: { uid: string; email: string };
  bob: { uid: string; email: string };
  advance(seconds: number): void;
  /** Hold the next upstream request `method path` at the emulator's door until released. */
  hold(method: string, path: string): { reached: Promise<void>; release(): void };
  newPage(): Promise<{ context: BrowserContext; page: Page }>;
  shot(page: Page, name: string): Promise<void>;
}

// One browser and one bundle of the page for the whole file; each test has its own
// emulator, gateway and browser contexts.
let browser: Browser | undefined;
let bundle: UiBundle | undefined;

before(async () => {
  // Fail, never skip: CI installs Chromium, and a missing one must be seen.
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium is missing at ${CHROMIUM}: install it (apt-get install chromium) to run the browser tests`,
  );
  mkdirSync(SHOTS, { recursive: true });
  bundle = await buildUi();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
});

/** Start the emulator and the gateway with the page; stop them after `run`. */
async function withStack(run: (stack: Stack) => Promise<void>): Promise<void> {
  const b = browser;
  const pageBundle = bundle;
  assert.ok(b && pageBundle, "The browser did not start");
  const contexts: BrowserContext[] = [];
  let offset = 0;
  const now = () => Date.now() + offset;
  let emuHandler: (req: Request) => Response | Promise<Response> = () =>
    new Response("Starting", { status: 503 });
  let gwHandler: (req: Request) => Response | Promise<Response> = emuHandler;
  const holds: Array<{ method: string; path: string; reached(): void; released: Promise<void> }> =
    [];
  const releases: Array<() => void> = [];
  const emuServer = await serve(async (req) => {
    const url = new URL(req.url);
    const i = holds.findIndex((h) => h.method === req.method && h.path === url.pathname);
    if (i >= 0) {
      const [h] = holds.splice(i, 1);
      h?.reached();
      await h?.released;
    }
    return emuHandler(req);
  });
  const gwServer = await serve((req) => gwHandler(req));
  const servers: TestServer[] = [gwServer, emuServer];
  try {
    const emu = createEmulator({
      control: true,
      accessTokenTtlSeconds: ACCESS_TTL,
      orgs: [{ ...DEMO_ORG, callbackUrl: `${gwServer.url}/auth/callback` }],
    });
    emuHandler = emu.fetch;
    const client = new AuthLiteClient({
      apiKey: DEMO_ORG.apiKey,
      secretKey: DEMO_ORG.secretKey,
      orgId: DEMO_ORG.orgId,
      baseUrl: emuServer.url,
      widgetUrl: emuServer.url,
      tokenCache: memoryStore({ now }),
      retries: 0,
      timeoutMs: 5000,
      now,
    });
    const app = createGateway({
      client,
      sessionSecret: SESSION_SECRET,
      cookie: { secure: false },
      profileEditing: true,
      redact: [DEMO_ORG.apiKey, DEMO_ORG.secretKey],
      ui: (gateway) => gateway.route("/", uiRoutes({ bundle: pageBundle })),
    });
    gwHandler = (req) =>
      new URL(req.url).pathname === "/test/avatar.svg"
        ? new Response(AVATAR, { headers: { "content-type": "image/svg+xml" } })
        : app.fetch(req);

    const adminRole = emu.seedRole({ name: "admin", permissions: [{ admin: "true" }] });
    const ada = emu.seedUser({
      email: "ada@example.com",
      name: "Ada Lovelace",
      img: `${gwServer.url}/test/avatar.svg`,
      roles: [adminRole.rol_id],
    });
    const bob = emu.seedUser({ email: "bob@example.com", name: "Bob Builder" });

    await run({
      emu,
      url: gwServer.url,
      ada,
      bob,
      advance(seconds) {
        offset += seconds * 1000;
        emu.advanceClock(seconds);
      },
      hold(method, path) {
        let reached = () => {};
        let release = () => {};
        const reachedP = new Promise<void>((resolve) => (reached = resolve));
        const released = new Promise<void>((resolve) => (release = resolve));
        holds.push({ method, path, reached, released });
        releases.push(release);
        return { reached: reachedP, release };
      },
      async newPage() {
        const context = await b.newContext({ viewport: { width: 900, height: 1000 } });
        contexts.push(context);
        context.setDefaultTimeout(20_000);
        const page = await context.newPage();
        return { context, page };
      },
      async shot(page, name) {
        await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
      },
    });
  } catch (err) {
    // Leave a picture of every page for whoever reads the failure.
    let n = 0;
    for (const c of contexts) {
      for (const p of c.pages()) {
        await p.screenshot({ path: `${SHOTS}/failure-${++n}.png`, fullPage: true }).catch(() => {});
      }
    }
    throw err;
  } finally {
    for (const release of releases) release();
    for (const c of contexts) await c.close();
    for (const s of servers) await s.close();
  }
}

/** Sign in through the emulator's login widget and wait for the signed-in page. */
async function signIn(page: Page, url: string, email: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByRole("heading", { name: "You are signed out" }).waitFor();
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.waitForURL(/\/widget\/login\//);
  await page.getByLabel("E-mail").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(`${url}/`);
  await page.getByRole("heading", { name: "Your account" }).waitFor();
}

/** Wait until `region` shows `text`. */
async function sees(page: Page, region: string, text: string | RegExp): Promise<void> {
  await page.getByRole("region", { name: region }).getByText(text).first().waitFor();
}

function scopeOf(accessToken: string): string[] {
  const payload = accessToken.split(".")[1] ?? "";
  const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
  return JSON.parse(claims.scope);
}

test(
  "the page signs in, refreshes an expired session, edits the profile and signs out",
  SLOW,
  async () => {
    await withStack(async ({ emu, url, ada, advance, newPage, shot }) => {
      const { page } = await newPage();
      await signIn(page, url, ada.email);
      await sees(page, "Your account", "Ada Lovelace");
      await sees(page, "Your account", ada.email);
      await sees(page, "Your account", ada.uid);
      await page.getByRole("list", { name: "Your roles" }).getByText("admin").waitFor();
      const picture = page.getByRole("img", { name: "Picture of Ada Lovelace" });
      assert.equal(await picture.getAttribute("src"), `${url}/test/avatar.svg`);
      await sees(page, "Session", "valid");
      await shot(page, "01-signed-in");

      // The access token expires: the gateway refreshes it once, and says so.
      emu.resetRequests();
      advance(ACCESS_TTL + 60);
      await page.reload();
      await sees(page, "Session", "refreshed");
      assert.equal(emu.requests().byPath[REFRESH_PATH], 1);
      await shot(page, "02-refreshed");
      await page.getByRole("button", { name: "Check session" }).click();
      await sees(page, "Session", "valid");
      assert.equal(emu.requests().byPath[REFRESH_PATH], 1);

      // Edit the profile on the settings page and come back re-authenticated.
      await page.getByRole("link", { name: "Edit profile" }).click();
      // Wait to leave: this page has a "Role name" field that getByLabel("Name") would find.
      await page.waitForURL(/\/api\/user\/me\/settings\//);
      await page.getByLabel("Name").fill("Ada King");
      await page.getByRole("button", { name: "Save" }).click();
      await page.waitForURL(`${url}/`);
      await sees(page, "Your account", "Ada King");
      await sees(page, "Session", "valid");
      await shot(page, "03-profile-edited");

      // Sign out: the page says so, and the session is gone on the server too.
      await page.getByRole("button", { name: "Sign out", exact: true }).click();
      await page.getByRole("heading", { name: "You are signed out" }).waitFor();
      await page.getByRole("status").getByText("You are signed out.").waitFor();
      const me = await page.request.get(`${url}/auth/me`);
      assert.equal(me.status(), 401);
      await page.reload();
      await page.getByRole("heading", { name: "You are signed out" }).waitFor();
      await shot(page, "04-signed-out");
    });
  },
);

test("the page lets an admin manage roles and refuses a non-admin in words", SLOW, async () => {
  await withStack(async ({ emu, url, ada, bob, hold, newPage, shot }) => {
    const { page } = await newPage();
    await signIn(page, url, ada.email);
    const admin = page.getByRole("region", { name: "Roles and permissions" });
    await admin.getByRole("rowheader", { name: "admin" }).waitFor();

    // A mistake is explained in words, before anything is sent.
    await admin.getByLabel("Role name").fill("editor");
    await admin.getByRole("textbox", { name: /^Permissions/ }).fill("posts");
    await admin.getByRole("button", { name: "Create role" }).click();
    await admin.getByRole("alert").getByText("Write each permission as key=value").waitFor();

    // TrustAuthX fails: said in words, not JSON, and nothing changes.
    emu.inject({ kind: "status", status: 503, path: "/rbac/role" });
    await admin.getByRole("textbox", { name: /^Permissions/ }).fill("posts=write");
    const create = admin.getByRole("button", { name: "Create role" });
    await create.click();
    const outage = admin.getByRole("alert");
    await outage.getByText(
      "Could not create the role: TrustAuthX is not answering right now. Try again in a moment.",
    ).waitFor();
    assert.doesNotMatch(await outage.innerText(), /[{}]/);
    assert.equal(await admin.getByRole("rowheader", { name: "editor" }).count(), 0);

    // Create a role; the button shows it is working while the request runs (held
    // upstream until the test has seen it).
    const held = hold("POST", "/rbac/role");
    await create.click();
    await held.reached;
    await admin.getByRole("button", { name: "Working…" }).waitFor();
    assert.equal(await admin.getByRole("button", { name: "Working…" }).isDisabled(), true);
    held.release();
    await admin.getByRole("rowheader", { name: "editor" }).waitFor();
    await page.getByRole("status").getByText("Role “editor” created.").waitFor();

    // Add a permission, then remove the first one.
    await admin.getByLabel("Role", { exact: true }).selectOption({ label: "editor" });
    await admin.getByLabel("Permission key").fill("comments");
    await admin.getByLabel("Permission value").fill("read");
    await admin.getByRole("button", { name: "Add permission" }).click();
    const perms = admin.getByRole("list", { name: "Permissions of editor" });
    await perms.getByText("comments=read").waitFor();
    await admin.getByRole("button", { name: "Remove permission posts=write from role editor" })
      .click();
    await perms.getByText("posts=write").waitFor({ state: "detached" });
    await perms.getByText("comments=read").waitFor();

    // Give the role to Bob.
    const editorId = await admin.getByRole("row")
      .filter({ has: page.getByRole("rowheader", { name: "editor" }) })
      .getByRole("cell").first().textContent();
    assert.ok(editorId);
    await admin.getByLabel("User ID").fill(bob.uid);
    await admin.getByLabel("Role to assign").selectOption({ label: "editor" });
    await admin.getByRole("button", { name: "Give role" }).click();
    await page.getByRole("status").getByText(`Role “editor” given to ${bob.uid}.`).waitFor();
    assert.deepEqual(scopeOf(emu.session({ uid: bob.uid }).accessToken), [editorId]);
    emu.seedRole({ name: "reader", permissions: [{ posts: "read" }] });

    // A role made elsewhere shows up on reload; delete it here.
    await page.reload();
    await admin.getByRole("rowheader", { name: "reader" }).waitFor();
    await shot(page, "05-admin");
    // The wide layout: the account beside the admin panel.
    await page.setViewportSize({ width: 1280, height: 900 });
    await shot(page, "05-admin-wide");
    if (process.env["AUTHLITE_DOCS_SCREENSHOT"] === "1") {
      mkdirSync("docs", { recursive: true });
      await page.screenshot({ path: "docs/screenshot.png", fullPage: true });
    }
    await page.setViewportSize({ width: 900, height: 1000 });
    await admin.getByRole("button", { name: "Delete role reader" }).click();
    await admin.getByRole("rowheader", { name: "reader" }).waitFor({ state: "detached" });

    // Bob holds a role, but not the admin permission: refused, in words.
    const other = await newPage();
    await signIn(other.page, url, bob.email);
    await sees(other.page, "Your account", "Bob Builder");
    await sees(
      other.page,
      "Roles and permissions",
      "You are not allowed to manage roles: your account does not have the “admin” permission.",
    );
    assert.equal(
      await other.page.getByRole("region", { name: "Roles and permissions" }).getByRole("button")
        .count(),
      0,
    );
    await shot(other.page, "06-not-admin");
  });
});

test("the page signs out of all sessions, which ends the other sessions too", SLOW, async () => {
  await withStack(async ({ url, bob, advance, newPage, shot }) => {
    const first = await newPage();
    const second = await newPage();
    await signIn(first.page, url, bob.email);
    await signIn(second.page, url, bob.email);

    await first.page.getByRole("button", { name: "Sign out of all sessions" }).click();
    await first.page.getByRole("heading", { name: "You are signed out" }).waitFor();
    await first.page.getByRole("status").getByText("You are signed out of all sessions.").waitFor();

    // The other browser's access token may still be cached until it expires; once it has,
    // its refresh token, revoked with the rest, cannot bring the session back.
    // The page still shows the old session; following "Edit profile" finds it ended and
    // says so here, instead of leaving for a gateway error page.
    advance(ACCESS_TTL + 60);
    await second.page.getByRole("link", { name: "Edit profile" }).click();
    await second.page.getByRole("heading", { name: "You are signed out" }).waitFor();
    await second.page.getByRole("status").getByText("Your session has ended. Sign in again.")
      .waitFor();
    assert.equal(new URL(second.page.url()).pathname, "/");
    await second.page.reload();
    await second.page.getByRole("heading", { name: "You are signed out" }).waitFor();
    assert.equal((await second.page.request.get(`${url}/auth/me`)).status(), 401);
    await shot(second.page, "07-signed-out-everywhere");
  });
});
