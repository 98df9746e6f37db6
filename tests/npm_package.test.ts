// The npm package as a user gets it: `npm pack` (which builds dist/ on prepack), the
// tarball installed into a scratch project, then every public entry imported on Node 20
// and Node 22 (and Deno and Bun, from the same node_modules), the client run against the
// emulator over HTTP, sessionFromRequest() with plain Requests, the README's npm example
// run, a user's app on @hono/node-server with authRoutes() under a prefix signed in and out
// over HTTP through the standalone emulator (Node 20 and 22), a consumer type-checked by
// tsc (strict, nodenext), and `./rpc` bundled for the browser and weighed.
//
// Slow (a build, a pack and an install): one test, run by `deno test`. Under `bun test`
// it is skipped by name, since the same tarball would be built and installed a second
// time for no new information (Bun loads the .ts sources, tested by the rest of the suite).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { Browser, firstForm } from "./_browser_http.ts";
import {
  bin,
  NODE22,
  node22,
  ok,
  packTarball,
  root,
  type Started,
  startServer,
} from "./_npm_pack.ts";

const RPC_GZIP_LIMIT = 12 * 1024;

/** The public subpaths: package.json and deno.json must list the same ones. */
function subpaths(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
  const npm = Object.keys(pkg.exports).sort();
  assert.deepEqual(npm, Object.keys(deno.exports).sort(), "package.json and deno.json exports");
  const expected = [".", "./rpc", "./gateway", "./emulator", "./web"];
  if (existsSync(join(root, "src", "hono", "mod.ts"))) expected.push("./hono");
  assert.deepEqual(npm, expected.sort(), "the public subpaths");
  for (const sub of npm) {
    const entry = pkg.exports[sub];
    assert.match(entry.types, /^\.\/dist\/.*\.d\.ts$/, `${sub}: types condition`);
    assert.match(entry.import, /^\.\/dist\/.*\.js$/, `${sub}: import condition`);
    assert.equal(Object.keys(entry)[0], "types", `${sub}: "types" must come first`);
  }
  return npm;
}

/** The README's npm examples (`<!-- npm-example: NAME -->`), as a reader would copy them. */
function readmeBlocks(): Map<string, string> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const found = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- npm-example: ([\w-]+) -->\n```js\n([\s\S]*?)\n```/g)) {
    assert.ok(!found.has(m[1]!), `two README examples named ${m[1]}`);
    found.set(m[1]!, m[2]!);
  }
  return found;
}

/** Imports every subpath and lists what each exports: `node imports.mjs ./rpc ...`. */
const IMPORTS = `
const out = {};
for (const sub of process.argv.slice(2)) {
  const mod = await import(sub === "." ? "authlite" : "authlite/" + sub.slice(2));
  out[sub] = Object.keys(mod).sort();
}
console.log(JSON.stringify({ node: process.version, exports: out }));
`;

/**
 * The client from the installed package against the emulator from the installed
 * package, over HTTP on loopback (node:http bridged to the emulator's fetch handler),
 * upstream calls counted by the emulator's control surface.
 */
const EMULATOR_HTTP = `
import { createServer } from "node:http";
import { AuthLiteClient, AuthLiteError, AuthLiteTokenSetError, memoryStore } from "authlite";
import { createEmulator, DEMO_ORG } from "authlite/emulator";

const emu = createEmulator({ control: true });
const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const reply = await emu.fetch(new Request("http://" + req.headers.host + req.url, {
    method: req.method,
    headers: Object.entries(req.headers).filter(([, v]) => typeof v === "string"),
    body: hasBody ? Buffer.concat(chunks) : undefined,
  }));
  res.statusCode = reply.status;
  for (const [k, v] of reply.headers) res.setHeader(k, v);
  res.end(Buffer.from(await reply.arrayBuffer()));
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const base = "http://127.0.0.1:" + server.address().port;
const control = async (method, path, body) => {
  const r = await fetch(base + "/__emulator/" + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) throw new Error("control " + path + ": " + r.status);
  return await r.json();
};
const options = {
  apiKey: DEMO_ORG.apiKey,
  secretKey: DEMO_ORG.secretKey,
  orgId: DEMO_ORG.orgId,
  baseUrl: base,
};
const out = {};
try {
  const s = await control("POST", "session", { email: "ada@example.com" });
  await control("DELETE", "requests");
  const cached = new AuthLiteClient({ ...options, tokenCache: memoryStore() });
  const checks = await Promise.all([1, 2, 3].map(() =>
    cached.validateTokenSet(s.access_token, s.refresh_token)
  ));
  checks.push(await cached.validateTokenSet(s.access_token, s.refresh_token));
  out.cachedStates = checks.map((c) => c.state);
  out.cachedUpstream = (await control("GET", "requests")).total;

  await control("POST", "clock", { advance_seconds: 3601 });
  await control("DELETE", "requests");
  const plain = new AuthLiteClient(options);
  const refreshed = await plain.validateTokenSet(s.access_token, s.refresh_token);
  out.refreshed = {
    state: refreshed.state,
    newAccess: refreshed.access !== s.access_token,
    newRefresh: typeof refreshed.refresh === "string" && refreshed.refresh !== s.refresh_token,
  };
  out.refreshUpstream = (await control("GET", "requests")).by_path;

  try {
    await plain.validateTokenSet("not-a-token");
    out.invalid = "resolved";
  } catch (err) {
    out.invalid = {
      family: err instanceof AuthLiteError,
      sub: err instanceof AuthLiteTokenSetError,
      code: err.code,
      leaks: String(err.message).includes(DEMO_ORG.secretKey),
    };
  }
} finally {
  server.close();
}
console.log(JSON.stringify(out));
`;

/** Uses each subpath's types; tsc must accept it, and each @ts-expect-error must be needed. */
const CONSUMER = `
import {
  AuthLiteClient,
  AuthLiteError,
  type AuthLiteErrorCode,
  type KVStore,
  memoryStore,
  type TokenCheck,
} from "authlite";
import { createGatewayClient, type GatewayClient, type ErrorReply } from "authlite/rpc";
import { type AppType, createGateway, type GatewayOptions } from "authlite/gateway";
import { createEmulator, DEMO_ORG, type Emulator } from "authlite/emulator";

const store: KVStore = memoryStore();
const client = new AuthLiteClient({
  apiKey: DEMO_ORG.apiKey,
  secretKey: DEMO_ORG.secretKey,
  orgId: DEMO_ORG.orgId,
  tokenCache: store,
});
export async function check(access: string, refresh?: string): Promise<TokenCheck> {
  const result = await client.validateTokenSet(access, refresh);
  const state: boolean = result.state;
  void state;
  return result;
}
export function codeOf(err: unknown): AuthLiteErrorCode | undefined {
  return err instanceof AuthLiteError ? err.code : undefined;
}
// @ts-expect-error: apiKey is required
new AuthLiteClient({ secretKey: "s" });

const options: GatewayOptions = { client, sessionSecret: "a-session-secret-of-32-characters!" };
export const app: AppType = createGateway(options);

const gateway: GatewayClient = createGatewayClient("https://auth.example.com", {
  credential: "a-service-key",
});
export async function call(): Promise<boolean | string> {
  const res = await gateway.rpc.validateTokenSet.$post({
    json: { accessToken: "a", refreshToken: "r" },
  });
  if (res.status === 200) {
    const body = await res.json();
    const access: string = body.access;
    void access;
    return body.state;
  }
  if (res.status === 401) {
    const body: ErrorReply = await res.json();
    return body.error.code;
  }
  return "other";
}
export async function me(): Promise<string | null> {
  const res = await gateway.auth.me.$get();
  return res.status === 200 ? (await res.json()).user.email : null;
}
// @ts-expect-error: the route takes an accessToken
gateway.rpc.validateTokenSet.$post({ json: { token: "a" } });

const emu: Emulator = createEmulator({ control: true });
const session: { accessToken: string; refreshToken: string } = emu.session({
  email: "ada@example.com",
});
export const total: number = emu.requests().total + session.accessToken.length;
// @ts-expect-error: session() answers no such field
emu.session({ email: "ada@example.com" }).idToken;
`;

/** Appended to the consumer once src/hono/mod.ts exists (CONTRACT.md §2; adjust to the final API). */
const CONSUMER_HONO = `
import { Hono } from "hono";
import { authlite, getSession, requirePermission, requireSession } from "authlite/hono";

const honoApp = new Hono();
honoApp.use(authlite({ client }));
honoApp.get("/me", requireSession(), (c) => {
  const session = getSession(c);
  const uid: string | undefined = session?.uid;
  return c.json({ uid: uid ?? null });
});
honoApp.post("/docs", requireSession(), requirePermission("doc", "write"), (c) => c.text("ok"));
export { honoApp };
`;

/** Where `sessionFromRequest()` is imported from (`authRoutes()` is in `authlite/hono`). */
const WEB_ENTRY = "authlite/web";

/** Type-checks the sign-in routes and the session reader of any Web Request (issue 19). */
const CONSUMER_WEB = `
import { authRoutes } from "authlite/hono";
import { sessionFromRequest } from "${WEB_ENTRY}";

const web = new Hono().route("/auth", authRoutes({ client, sessionSecret: "s".repeat(32) }));
export const handle = (request: Request): Response | Promise<Response> => web.fetch(request);
export async function emailOf(request: Request): Promise<string | null> {
  const { session, setCookie } = await sessionFromRequest(request, {
    client,
    sessionSecret: "s".repeat(32),
  });
  const cookies: readonly string[] = setCookie;
  void cookies;
  return session?.email ?? null;
}
`;

/**
 * A user's app on @hono/node-server (Node 20 and 22): authRoutes() mounted under a prefix
 * (/account), next to authlite(), requireSession() and requirePermission(); nothing else.
 * It listens on 127.0.0.1:0 and prints its URL; its first line of standard input is the
 * URL of its upstream (the standalone emulator, started once the app's callback URL is
 * known); then it prints "ready".
 */
const NODE_SERVER_APP = `
import { createInterface } from "node:readline";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { AuthLiteClient, memoryStore } from "authlite";
import { authlite, authRoutes, getSession, requirePermission, requireSession } from "authlite/hono";

let app;
serve({
  fetch: (request, env) => app ? app.fetch(request, env) : new Response("starting", { status: 503 }),
  hostname: "127.0.0.1",
  port: 0,
}, (info) => console.log(JSON.stringify({ url: "http://127.0.0.1:" + info.port })));

const lines = createInterface({ input: process.stdin });
const upstream = await new Promise((resolve) => lines.once("line", resolve));
lines.close();
const client = new AuthLiteClient({
  apiKey: process.env.TRUSTAUTHX_API_KEY,
  secretKey: process.env.TRUSTAUTHX_SECRET_KEY,
  orgId: process.env.TRUSTAUTHX_ORG_ID,
  baseUrl: upstream,
  widgetUrl: upstream,
  tokenCache: memoryStore(),
});
const sessionSecret = process.env.AUTHLITE_SESSION_SECRET;
app = new Hono()
  .use(authlite({ client, sessionSecret }))
  .route("/account", authRoutes({ client, sessionSecret }))
  .get("/", (c) => c.text("Hello " + (getSession(c)?.email ?? "stranger")))
  .get("/notes", requireSession(), requirePermission("notes", "write"), (c) =>
    c.json({ notes: [], for: getSession(c).email }));
console.log("ready");
`;

/** The standalone emulator's seed for NODE_SERVER_APP: a writer and a reader. */
function notesSeed(appUrl: string): unknown {
  return {
    orgs: [{
      org_id: "org_notes",
      api_key: "key_notes",
      secret_key: "notes-secret-for-local-tests-only",
      callback_url: `${appUrl}/account/callback`,
      name: "Notes",
      roles: [{ rol_id: "rol_writers", name: "writers", permissions: [{ notes: "write" }] }],
      users: [
        { uid: "uid_writer", email: "writer@example.com", roles: ["rol_writers"] },
        { uid: "uid_reader", email: "reader@example.com" },
      ],
    }],
  };
}

/**
 * sessionFromRequest() with plain Request objects, from the installed package: no cookies,
 * a session's cookies, the same after its access token expired (refreshed, new cookies to
 * send), the new cookies (nothing to send, no upstream call), a revoked session (cleared).
 */
const SESSION_FROM_REQUEST = `
import { AuthLiteClient, memoryStore } from "authlite";
import { createEmulator, DEMO_ORG } from "authlite/emulator";
import { sessionFromRequest } from "${WEB_ENTRY}";

let offset = 0;
const now = () => Date.now() + offset;
const emu = createEmulator();
const client = new AuthLiteClient({
  apiKey: DEMO_ORG.apiKey,
  secretKey: DEMO_ORG.secretKey,
  orgId: DEMO_ORG.orgId,
  baseUrl: "http://emulator.test",
  fetch: (input, init) => emu.fetch(new Request(input, init)),
  tokenCache: memoryStore({ now }),
  retries: 0,
  now,
});
const options = { client, sessionSecret: "a-session-secret-of-32-characters!" };
const jar = new Map();
const take = (setCookie) => {
  for (const line of setCookie) {
    const pair = line.split(";")[0];
    const name = pair.slice(0, pair.indexOf("="));
    const value = pair.slice(pair.indexOf("=") + 1);
    if (value === "" || /max-age=0/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
};
const request = () => new Request("https://app.example/page", {
  headers: jar.size === 0 ? {} : { cookie: [...jar].map(([k, v]) => k + "=" + v).join("; ") },
});
const names = (setCookie) => setCookie.map((line) => line.slice(0, line.indexOf("="))).sort();
const cleared = (setCookie) =>
  names(setCookie.filter((line) => /^[^=]+=;/.test(line) || /max-age=0/i.test(line)));
const out = {};

let r = await sessionFromRequest(request(), options);
out.anonymous = { session: r.session, setCookie: r.setCookie, upstream: emu.requests().total };

const s = emu.session({ email: "ada@example.com" });
jar.set("authlite_access", s.accessToken);
jar.set("authlite_refresh", s.refreshToken);
r = await sessionFromRequest(request(), options);
take(r.setCookie);
out.session = { email: r.session?.email, uid: r.session?.uid === s.uid };

offset += 3700 * 1000;
emu.advanceClock(3700);
emu.resetRequests();
r = await sessionFromRequest(request(), options);
take(r.setCookie);
out.refreshed = {
  email: r.session?.email,
  sets: ["authlite_access", "authlite_refresh"].filter((n) => names(r.setCookie).includes(n)),
  rotated: jar.get("authlite_access") !== s.accessToken &&
    jar.get("authlite_refresh") !== s.refreshToken,
  refreshes: emu.requests().byPath["/api/user/me/access/token/"] ?? 0,
};

emu.resetRequests();
r = await sessionFromRequest(request(), options);
out.again = { email: r.session?.email, setCookie: r.setCookie, upstream: emu.requests().total };

const dead = emu.session({ email: "gone@example.com" });
await client.revokeToken({ accessToken: dead.accessToken, refreshToken: dead.refreshToken });
jar.clear();
jar.set("authlite_access", dead.accessToken);
jar.set("authlite_refresh", dead.refreshToken);
r = await sessionFromRequest(request(), options);
out.revoked = {
  session: r.session,
  cleared: ["authlite_access", "authlite_refresh"].filter((n) => cleared(r.setCookie).includes(n)),
};
console.log(JSON.stringify(out));
`;

/** What SESSION_FROM_REQUEST prints. */
const SESSION_FROM_REQUEST_EXPECTED = {
  anonymous: { session: null, setCookie: [], upstream: 0 },
  session: { email: "ada@example.com", uid: true },
  refreshed: {
    email: "ada@example.com",
    sets: ["authlite_access", "authlite_refresh"],
    rotated: true,
    refreshes: 1,
  },
  again: { email: "ada@example.com", setCookie: [], upstream: 0 },
  revoked: { session: null, cleared: ["authlite_access", "authlite_refresh"] },
};

/** One example of the README, as a reader would copy it into a file. */
interface Example {
  /** A name for messages (and the file: `<name>.mjs`). */
  name: string;
  /** The code. */
  source: string;
  /** What it must print, if known (an example that runs to its end). */
  stdout?: string;
  /**
   * An app that serves until it is stopped (run on Node only, as its text says): started
   * with `PORT=0` against the standalone emulator (its URL in place of the default one),
   * awaited until it prints `listening on <url>`, then these requests, then stopped.
   */
  serves?: readonly { path: string; status: number; body?: RegExp }[];
}

/** The standalone emulator's URL in the README's examples (the bin's default port). */
const STANDALONE = "http://127.0.0.1:8788";

/**
 * Every npm example of the README, each with what it must do: a new block with no entry
 * here fails, so no example goes unrun.
 */
function readmeExamples(): Example[] {
  const blocks = readmeBlocks();
  const expected: Record<string, Omit<Example, "name" | "source">> = {
    // The client quickstart: three validations, one upstream call.
    "node": { stdout: "true\ntrue\ntrue\n1\n" },
    // The Node-first app: a public route, a login start, and the protected routes refused.
    "node-first": {
      serves: [
        { path: "/", status: 200, body: /^Hello stranger$/ },
        { path: "/auth/me", status: 401 },
        { path: "/profile", status: 401, body: /ERR_UNAUTHORIZED/ },
        { path: "/admin", status: 401 },
        { path: "/auth/login", status: 302 },
      ],
    },
  };
  assert.deepEqual([...blocks.keys()].sort(), Object.keys(expected).sort(), "README npm examples");
  return [...blocks].map(([name, source]) => ({
    name: `readme-${name}`,
    source,
    ...expected[name],
  }));
}

/** Node's binary of a runtime's command, or `undefined` for Deno and Bun. */
function nodeOf(cmd: string): string | undefined {
  return /(^|\/)node$/.test(cmd) ? cmd : undefined;
}

/**
 * The README's examples (issue 19: "each of its examples is run by the suite from the
 * tarball"), every `<!-- npm-example -->` block (readmeExamples()). Each is written into the
 * scratch project (the tarball and @hono/node-server installed) and run on the runtime: one
 * that ends is run to its end and what it prints compared; one that serves (`serves`) is
 * run on Node only, started against the installed standalone emulator (`authlite-emulator
 * --port 0`) with `PORT=0`, asked the requests of its entry once it prints `listening on`,
 * and stopped.
 *
 * @param project the scratch project
 * @param runtime the runtime's command and a label for messages
 * @param js runs a file of the project on the runtime and answers its standard output
 * @param examples the examples
 */
async function runExamples(
  project: string,
  runtime: { label: string; cmd: string },
  js: (file: string) => Promise<string>,
  examples: readonly Example[],
): Promise<void> {
  const { label } = runtime;
  for (const example of examples) {
    const file = `${example.name}.mjs`;
    if (example.serves === undefined) {
      writeFileSync(join(project, file), example.source);
      const stdout = await js(file);
      if (example.stdout !== undefined) {
        assert.equal(stdout, example.stdout, `README example ${example.name}, ${label}`);
      }
      continue;
    }
    const node = nodeOf(runtime.cmd);
    if (node === undefined) continue; // an app for `node app.mjs`
    const path = node.includes("/") ? [dirname(node)] : [];
    const emulator = await startServer(
      node,
      [join(project, "node_modules", ".bin", "authlite-emulator"), "--port", "0"],
      project,
      { pattern: /listening on (http:\/\/127\.0\.0\.1:\d+)/, path },
    );
    let app: Started | undefined;
    try {
      assert.ok(example.source.includes(STANDALONE), `${example.name} uses ${STANDALONE}`);
      writeFileSync(join(project, file), example.source.replaceAll(STANDALONE, emulator.url));
      const site: Started = await startServer(node, [file], project, {
        pattern: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
        path,
        env: { PORT: "0" },
      });
      app = site;
      for (const { path: at, status, body } of example.serves) {
        const res = await fetch(`${site.url}${at}`, {
          redirect: "manual",
          headers: { "sec-fetch-site": "none" }, // a typed URL (the login start needs a signal)
        });
        const text = await res.text();
        const context = `README example ${example.name}, ${label}: GET ${at}\n${site.output()}`;
        assert.equal(res.status, status, `${context}\n${text}`);
        if (body !== undefined) assert.match(text, body, context);
        if (status === 302) {
          const to = new URL(res.headers.get("location") ?? "", site.url);
          assert.equal(to.origin, emulator.url, `${context}: the login goes to the emulator`);
        }
      }
    } finally {
      await app?.stop();
      await emulator.stop();
    }
  }
}

/** Polls a started process's output until `pattern` shows (or 15 s pass). */
async function waitForOutput(started: Started, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 750 && !pattern.test(started.output()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.match(started.output(), pattern, "the app's output");
}

/**
 * Signs in and out of NODE_SERVER_APP on `node` over HTTP, with the standalone emulator of
 * the installed package as its upstream: login -> the widget -> callback -> /account/me ->
 * a requirePermission() route 200 (writer) and 403 (reader) -> logout -> 401; /admin,
 * /rpc and /docs are not there (404).
 */
async function nodeServerSignIn(node: string, project: string, label: string): Promise<void> {
  const path = node.includes("/") ? [dirname(node)] : [];
  const site = await startServer(node, ["node_server_app.mjs"], project, {
    pattern: /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
    path,
    env: {
      TRUSTAUTHX_API_KEY: "key_notes",
      TRUSTAUTHX_SECRET_KEY: "notes-secret-for-local-tests-only",
      TRUSTAUTHX_ORG_ID: "org_notes",
      AUTHLITE_SESSION_SECRET: "a-session-secret-for-the-notes-app!",
    },
  });
  let emulator: Started | undefined;
  try {
    const base = site.url;
    writeFileSync(join(project, "seed.json"), JSON.stringify(notesSeed(base)));
    const emulatorBin = join(project, "node_modules", ".bin", "authlite-emulator");
    emulator = await startServer(
      node,
      [emulatorBin, "--port", "0", "--seed", "seed.json"],
      project,
      {
        pattern: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
        path,
      },
    );
    site.send(emulator.url);
    await waitForOutput(site, /^ready$/m);
    const upstream = emulator.url;
    const context = () => `${label}\n--- the app ---\n${site.output()}`;
    const calls = async (): Promise<Record<string, number>> => {
      const res = await fetch(`${upstream}/__emulator/requests`);
      assert.equal(res.status, 200, "the emulator's control surface");
      return (await res.json()).by_path;
    };

    // Signed out: the protected route answers 401.
    const writer = new Browser();
    const anonymous = await writer.fetch("/notes", `${base}/`);
    assert.equal(anonymous.status, 401, context());
    await anonymous.body?.cancel();

    // A link on the app's page starts the login; the widget's form comes back through the
    // callback under the prefix, and the browser lands where the login started.
    const signIn = async (browser: Browser, email: string) => {
      const widget = await browser.navigate("/account/login?redirect=/notes", { from: `${base}/` });
      assert.deepEqual(
        widget.hops.map((h) => [new URL(h.url).pathname, h.site, h.status]),
        [["/account/login", "same-origin", 302], ["/widget/login/", "same-site", 200]],
        context(),
      );
      assert.equal(new URL(widget.url).origin, upstream);
      const form = firstForm(widget.text, widget.url);
      assert.ok(form !== null && form.method === "POST", "the widget has a POST form");
      const page = await browser.navigate(form.action, {
        from: widget.url,
        method: "POST",
        form: { email },
      });
      assert.deepEqual(page.hops.slice(0, 2).map((h) => [h.url.split("?")[0], h.status]), [
        [`${upstream}/widget/login/`, 302],
        [`${base}/account/callback`, 302],
      ], context());
      assert.equal(page.url, `${base}/notes`, "back to where the login started");
      return page;
    };
    const written = await signIn(writer, "writer@example.com");
    assert.equal(written.status, 200, context());
    assert.deepEqual(JSON.parse(written.text), { notes: [], for: "writer@example.com" });
    assert.equal((await calls())["/api/user/me/auth/data"], 1, "the code redeemed once");

    const me = await writer.fetch("/account/me", `${base}/`);
    assert.equal(me.status, 200, context());
    assert.equal((await me.json()).user.email, "writer@example.com");
    const notes = await writer.fetch("/notes", `${base}/`);
    assert.equal(notes.status, 200, "requirePermission(): the writer");
    await notes.body?.cancel();

    // Sign out (a script's POST from the app's page), then the session is gone.
    const out = await writer.fetch("/account/logout", `${base}/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(out.status, 200, context());
    assert.deepEqual(await out.json(), { ok: true, revoked: true });
    assert.ok(((await calls())["/api/user/me/token/"] ?? 0) >= 1, "revoked upstream");
    for (const path of ["/account/me", "/notes"]) {
      const res = await writer.fetch(path, `${base}/`);
      assert.equal(res.status, 401, `${path} after logout (${label})`);
      await res.body?.cancel();
    }

    // The reader signs in the same way; the permission is missing: 403.
    const reader = new Browser();
    const refused = await signIn(reader, "reader@example.com");
    assert.equal(refused.status, 403, context());
    assert.equal(JSON.parse(refused.text).error.code, "ERR_FORBIDDEN");

    // Only the session routes were added: no gateway routes, with or without the prefix.
    for (const path of ["/admin", "/admin/roles", "/rpc", "/docs", "/docs/openapi.json"]) {
      for (const at of [path, `/account${path}`]) {
        const res = await reader.fetch(at, `${base}/`);
        assert.equal(res.status, 404, `GET ${at} (${label})`);
        await res.body?.cancel();
      }
    }
    const rpc = await reader.fetch("/rpc/validateTokenSet", `${base}/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ accessToken: "a" }),
    });
    assert.equal(rpc.status, 404, `POST /rpc/validateTokenSet (${label})`);
    await rpc.body?.cancel();
  } finally {
    await emulator?.stop();
    await site.stop();
  }
}

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    module: "nodenext",
    moduleResolution: "nodenext",
    target: "es2022",
    lib: ["es2023", "dom", "dom.iterable"],
    types: [],
    noEmit: true,
    skipLibCheck: false,
  },
  files: ["consumer.ts"],
};

// ./hono (issue 12, to come): when src/hono/mod.ts exists, the test runs this Hono app
// on Node from the installed package. It follows CONTRACT.md §2 (authlite({ client }),
// getSession(c), requireSession(), requirePermission(key, value)); adjust it to the
// middleware's final API. Expected: 200 with a session, 401 without, 403 without the
// permission.
const HONO_APP = `
import { Hono } from "hono";
import { AuthLiteClient } from "authlite";
import { createEmulator, DEMO_ORG } from "authlite/emulator";
import { authlite, getSession, requirePermission, requireSession } from "authlite/hono";

const emu = createEmulator();
const client = new AuthLiteClient({
  apiKey: DEMO_ORG.apiKey,
  secretKey: DEMO_ORG.secretKey,
  orgId: DEMO_ORG.orgId,
  baseUrl: "http://emulator.test",
  fetch: (input, init) => emu.fetch(new Request(input, init)),
});
const role = emu.seedRole({ name: "editors", permissions: [{ doc: "write" }] });
emu.seedUser({ email: "editor@example.com", roles: [role.rol_id] });
emu.seedUser({ email: "reader@example.com" });

const app = new Hono();
app.use(authlite({ client }));
app.get("/me", requireSession(), (c) => c.json(getSession(c)));
app.post("/docs", requireSession(), requirePermission("doc", "write"), (c) => c.text("written"));

const bearer = (email) => ({ authorization: "Bearer " + emu.session({ email }).accessToken });
const status = async (path, init) => (await app.request(path, init)).status;
console.log(JSON.stringify({
  me: await status("/me", { headers: bearer("reader@example.com") }),
  anonymous: await status("/me"),
  editor: await status("/docs", { method: "POST", headers: bearer("editor@example.com") }),
  reader: await status("/docs", { method: "POST", headers: bearer("reader@example.com") }),
}));
`;

const underBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

test(
  "npm pack: the tarball installs and runs on Node 20 and 22, signs in on @hono/node-server, type-checks, and ./rpc bundles small",
  {
    skip: underBun
      ? "built, packed and installed once, under deno test (the same tarball under Bun adds nothing)"
      : false,
    timeout: 600_000,
  },
  async () => {
    const subs = subpaths();
    const work = mkdtempSync(join(tmpdir(), "authlite-npm-"));
    try {
      // 1. Pack (prepack builds dist/) and read what the tarball holds.
      const { tarball, files } = await packTarball(work);
      const listed = (await ok("tar", ["-tzf", tarball], work, "tar -tzf")).trim().split("\n")
        .map((p) => p.replace(/^package\//, ""));
      assert.deepEqual(listed.sort(), [...files].sort(), "npm pack --json lists the tarball");
      const stray = files.filter((p) =>
        !/^dist\/.+\.(js|d\.ts)$/.test(p) &&
        !["package.json", "README.md", "LICENSE", "bin/authlite-emulator.mjs", "docs/emulator.md"]
          .includes(p)
      );
      assert.deepEqual(
        stray,
        [],
        "only dist/*.js, dist/*.d.ts, the emulator's bin and reference, package.json, README, LICENSE",
      );
      for (const dir of ["tests/", "bench/", "scripts/", "docs/", "src/", "dist/src/runtime/"]) {
        const held = files.filter((p) => p.startsWith(dir) && p !== "docs/emulator.md");
        assert.deepEqual(held, [], `the tarball holds ${dir}`);
      }
      const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
      for (const sub of subs) {
        for (const target of [pkg.exports[sub].types, pkg.exports[sub].import]) {
          assert.ok(files.includes(target.slice(2)), `${sub}: ${target} is not in the tarball`);
        }
      }

      // 2. A scratch project installs the tarball (its dependencies from the npm registry
      //    or the npm cache) and the example files.
      const app = join(work, "app");
      mkdirSync(app);
      writeFileSync(
        join(app, "package.json"),
        JSON.stringify({ name: "scratch", private: true, type: "module" }),
      );
      await ok(
        "npm",
        [
          "install",
          "--prefer-offline",
          "--no-audit",
          "--no-fund",
          "--ignore-scripts",
          tarball,
          "@hono/node-server@2",
        ],
        app,
        "npm install <tarball> @hono/node-server",
      );
      const installed = join(app, "node_modules", "authlite");
      const tsPaths = files.filter((p) => p.endsWith(".d.ts")).filter((p) =>
        /(?:from|import)\s*\(?\s*["']\.{1,2}\/[^"']*\.ts["']/.test(
          readFileSync(join(installed, p), "utf8"),
        )
      );
      assert.deepEqual(tsPaths, [], "relative .ts import paths left in .d.ts files");
      writeFileSync(join(app, "imports.mjs"), IMPORTS);
      writeFileSync(join(app, "emulator_http.mjs"), EMULATOR_HTTP);
      writeFileSync(join(app, "node_server_app.mjs"), NODE_SERVER_APP);
      writeFileSync(join(app, "session_from_request.mjs"), SESSION_FROM_REQUEST);
      writeFileSync(
        join(app, "consumer.ts"),
        subs.includes("./hono") ? CONSUMER + CONSUMER_HONO + CONSUMER_WEB : CONSUMER,
      );
      writeFileSync(join(app, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
      const bundler = {
        ...TSCONFIG.compilerOptions,
        module: "esnext",
        moduleResolution: "bundler",
      };
      writeFileSync(
        join(app, "tsconfig.bundler.json"),
        JSON.stringify({ ...TSCONFIG, compilerOptions: bundler }, null, 2),
      );

      // 3. Every subpath, the emulator over HTTP and the README example: on Node 20 (the
      //    machine's) and Node 22, and on Deno and Bun loading the same installed package.
      const runtimes: { label: string; cmd: string; args: string[] }[] = [
        { label: "Node (machine)", cmd: "node", args: [] },
        { label: `Node ${NODE22}`, cmd: await node22(), args: [] },
        { label: "Deno", cmd: join(bin, "deno"), args: ["run", "-A"] },
        { label: "Bun", cmd: join(bin, "bun"), args: [] },
      ];
      const versions: string[] = [];
      for (const { label, cmd, args } of runtimes) {
        const js = (file: string, ...rest: string[]) =>
          ok(cmd, [...args, file, ...rest], app, `${file} on ${label}`);
        const imported = JSON.parse(await js("imports.mjs", ...subs));
        versions.push(imported.node);
        const names: Record<string, string[]> = imported.exports;
        assert.deepEqual(Object.keys(names).sort(), [...subs].sort(), label);
        for (const name of ["AuthLiteClient", "AuthLiteError", "memoryStore", "redisStore"]) {
          assert.ok(names["."]!.includes(name), `${label}: "." exports ${name}`);
        }
        assert.deepEqual(names["./rpc"], ["createGatewayClient"], label);
        assert.ok(names["./gateway"]!.includes("createGateway"), label);
        assert.ok(names["./emulator"]!.includes("createEmulator"), label);
        assert.ok(names["./emulator"]!.includes("DEMO_ORG"), label);

        const http = JSON.parse(await js("emulator_http.mjs"));
        assert.deepEqual(http.cachedStates, [true, true, true, true], label);
        assert.equal(http.cachedUpstream, 1, `${label}: one upstream call for 4 validations`);
        assert.deepEqual(http.refreshed, { state: false, newAccess: true, newRefresh: true });
        assert.deepEqual(http.refreshUpstream, {
          "/api/user/me/auth/validate/token": 1,
          "/api/user/me/access/token/": 1,
        }, label);
        assert.deepEqual(http.invalid, {
          family: true,
          sub: true,
          code: "ERR_INVALID_TOKEN_SET",
          leaks: false,
        }, label);

        await runExamples(app, { label, cmd }, (file) => js(file), readmeExamples());

        // sessionFromRequest() with plain Request objects (Node 20, 22, Deno, Bun).
        const web = JSON.parse(await js("session_from_request.mjs"));
        assert.deepEqual(web, SESSION_FROM_REQUEST_EXPECTED, `sessionFromRequest, ${label}`);

        // ./hono: runs once src/hono/mod.ts exists (see HONO_APP above).
        if (subs.includes("./hono")) {
          writeFileSync(join(app, "hono_app.mjs"), HONO_APP);
          const hono = JSON.parse(await js("hono_app.mjs"));
          assert.deepEqual(hono, { me: 200, anonymous: 401, editor: 200, reader: 403 }, label);
        }
      }
      // A user's app on @hono/node-server with authRoutes() under a prefix, signed in and
      // out through the standalone emulator, on Node 20 (the machine's) and Node 22.
      for (const { label, cmd } of runtimes.slice(0, 2)) {
        await nodeServerSignIn(cmd, app, label);
      }

      // The standalone emulator's bin, as npx runs it, on the machine's Node.
      const help = await ok(
        "node",
        [join(app, "node_modules", ".bin", "authlite-emulator"), "--help"],
        app,
        "authlite-emulator --help",
      );
      assert.match(help, /--seed/);
      const major = (v: string | undefined) => Number(/^v(\d+)\./.exec(v ?? "")?.[1]);
      assert.ok(major(versions[0]) >= 20, `the machine's Node is ${versions[0]}`);
      assert.equal(major(versions[1]), Number(NODE22), `Node ${NODE22} is ${versions[1]}`);

      // 4. A strict TypeScript consumer, resolving the types through the exports map, as
      //    Node resolves them (nodenext) and as bundlers do (bundler).
      const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
      await Promise.all([
        ok(tsc, ["-p", "tsconfig.json"], app, "tsc (consumer, nodenext)"),
        ok(tsc, ["-p", "tsconfig.bundler.json"], app, "tsc (consumer, bundler)"),
      ]);

      // 5. ./rpc bundled for a browser: small, and no server code in it.
      const bundle = await build({
        stdin: {
          contents: `import { createGatewayClient } from "authlite/rpc";\n` +
            `export const gateway = createGatewayClient(location.origin);\n`,
          resolveDir: app,
          loader: "js",
        },
        bundle: true,
        minify: true,
        format: "esm",
        platform: "browser",
        write: false,
        metafile: true,
        logLevel: "silent",
      });
      const code = bundle.outputFiles[0]!.contents;
      const gzipped = gzipSync(code).length;
      const inputs = Object.keys(bundle.metafile.inputs);
      const server = inputs.filter((p) =>
        /\/(zod|@hono\/zod-openapi|jose|valibot)\/|authlite\/dist\/(mod|src\/(gateway|client|cache|emulator))/
          .test(p)
      );
      assert.deepEqual(server, [], "server code in the ./rpc bundle");
      assert.ok(
        gzipped < RPC_GZIP_LIMIT,
        `./rpc bundle: ${gzipped} bytes gzipped (limit ${RPC_GZIP_LIMIT})\n${inputs.join("\n")}`,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
);
