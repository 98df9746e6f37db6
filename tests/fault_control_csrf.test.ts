// The emulator's control surface (`/__emulator`) against cross-site requests (issue 17): a web
// page may send any "simple" request to a loopback port (a text/plain or form POST, no
// preflight), and a page on a rebound DNS name reaches it with its own Host. So the surface
// takes JSON only, answers only loopback names and addresses (and the hosts it is told), and
// refuses an Origin other than its own. Over a real socket, with the Host and Origin a browser
// would send (node:http: fetch will not send a Host of our choosing).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { signJwt } from "../src/emulator/jwt.ts";
import { serve, type TestServer } from "./_serve.ts";

interface Reply {
  status: number;
  body: string;
}

/** One request to 127.0.0.1:`port`, with exactly the headers given (Host included). */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method, path, headers, setHost: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

let emu: Emulator;
let server: TestServer;
let host: string;
const JSON_TYPE = { "content-type": "application/json" };

before(async () => {
  emu = createEmulator({ control: true, controlHosts: ["emulator.internal"] });
  server = await serve(emu.fetch);
  host = `127.0.0.1:${server.port}`;
});

after(async () => {
  await server?.close();
});

/** The admin role the requests try to grant (again, if a reset got through). */
function adminRole(): void {
  try {
    emu.seedRole({ name: "admins", permissions: [{ admin: "true" }], rolId: "rol_csrf_admin" });
  } catch {
    // already there
  }
}

/** Whether a user with this e-mail exists (`seedUser` updates an existing one: roles kept). */
function rolesOf(email: string): string[] {
  return emu.seedUser({ email }).roles;
}

test("POST /__emulator as a cross-site simple request (text/plain, form, no type): 415, nothing seeded or reset", async () => {
  adminRole();
  const kept = emu.session({ email: "kept@example.com" });
  const types = [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    undefined,
  ];
  let i = 0;
  for (const type of types) {
    const email = `attacker-${i++}@example.com`;
    const body = JSON.stringify({ email, roles: ["rol_csrf_admin"] });
    const headers: Record<string, string> = { host, origin: "http://evil.example" };
    if (type !== undefined) headers["content-type"] = type;
    const seeded = await raw(server.port, "POST", "/__emulator/users", headers, body);
    // Without the Origin too: a page can suppress it (a form from an opaque origin sends "null").
    delete headers.origin;
    const again = await raw(server.port, "POST", "/__emulator/users", headers, body);
    const reset = await raw(server.port, "POST", "/__emulator/reset", headers, "{}");
    for (const r of [seeded, again, reset]) {
      assert.ok(r.status === 415 || r.status === 403, `${type}: ${r.status} ${r.body}`);
      assert.equal(typeof JSON.parse(r.body).detail, "string");
    }
    assert.equal(again.status, 415, `${type}: ${again.body}`);
    assert.deepEqual(rolesOf(email), [], `${type}: no admin was seeded`);
  }
  const still = await emu.fetch(
    new Request(
      `http://emu/api/user/me/auth/validate/token?AccessToken=${kept.accessToken}&api_key=${DEMO_ORG.apiKey}&signed_key=${signedKey()}`,
    ),
  );
  assert.equal(still.status, 200, "the state was not reset");
  await still.body?.cancel();
});

test("/__emulator with a Host that is not loopback (DNS rebinding): 403, for reads and writes", async () => {
  adminRole();
  for (const h of [`evil.example:${server.port}`, "evil.example", `10.0.0.1:${server.port}`]) {
    const read = await raw(server.port, "GET", "/__emulator/requests", { host: h });
    assert.equal(read.status, 403, `${h}: ${read.body}`);
    assert.equal(typeof JSON.parse(read.body).detail, "string");
    // Same-origin for the browser: the page was loaded from the rebound name.
    const write = await raw(
      server.port,
      "POST",
      "/__emulator/users",
      { host: h, origin: `http://${h}`, ...JSON_TYPE },
      JSON.stringify({ email: "rebound@example.com", roles: ["rol_csrf_admin"] }),
    );
    assert.equal(write.status, 403, `${h}: ${write.body}`);
  }
  assert.deepEqual(rolesOf("rebound@example.com"), []);
});

test("/__emulator with a cross-origin Origin or Fetch Metadata: 403, even as JSON", async () => {
  adminRole();
  const cases: Array<Record<string, string>> = [
    { origin: "http://evil.example" },
    { origin: "null" },
    { origin: `http://localhost:${server.port}` }, // another origin than the Host's
    { origin: `https://${host}` },
    { "sec-fetch-site": "cross-site" },
  ];
  for (const extra of cases) {
    const r = await raw(
      server.port,
      "POST",
      "/__emulator/users",
      { host, ...JSON_TYPE, ...extra },
      JSON.stringify({ email: "cross@example.com", roles: ["rol_csrf_admin"] }),
    );
    assert.equal(r.status, 403, `${JSON.stringify(extra)}: ${r.body}`);
  }
  assert.deepEqual(rolesOf("cross@example.com"), []);
});

test("/__emulator answers JSON from loopback names and addresses, its own origin, and the configured host", async () => {
  adminRole();
  const hosts = [
    host,
    `localhost:${server.port}`,
    `app.localhost:${server.port}`,
    `127.0.0.2:${server.port}`,
    `[::1]:${server.port}`,
    `emulator.internal:${server.port}`,
    "emulator.internal",
  ];
  let i = 0;
  for (const h of hosts) {
    for (const extra of [{}, { origin: `http://${h}`, "sec-fetch-site": "same-origin" }]) {
      const email = `ok-${i++}@example.com`;
      const r = await raw(
        server.port,
        "POST",
        "/__emulator/users",
        { host: h, ...JSON_TYPE, ...extra },
        JSON.stringify({ email, roles: ["rol_csrf_admin"] }),
      );
      assert.equal(r.status, 200, `${h} ${JSON.stringify(extra)}: ${r.body}`);
      assert.deepEqual(rolesOf(email), ["rol_csrf_admin"]);
    }
    const read = await raw(server.port, "GET", "/__emulator/requests", { host: h });
    assert.equal(read.status, 200, `${h}: ${read.body}`);
  }
  const typed = await raw(server.port, "POST", "/__emulator/clock", {
    host,
    "content-type": "application/json; charset=utf-8",
  }, JSON.stringify({ advance_seconds: 0 }));
  assert.equal(typed.status, 200, typed.body);
  // Without control: true the routes do not exist, whatever the request.
  const off = createEmulator();
  const none = await off.fetch(
    new Request("http://127.0.0.1/__emulator/users", {
      method: "POST",
      headers: JSON_TYPE,
      body: JSON.stringify({ email: "x@example.com" }),
    }),
  );
  assert.equal(none.status, 404);
  await none.body?.cancel();
});

/** The demo organisation's signed key, as the API wants it. */
function signedKey(): string {
  return signJwt({ api_key: DEMO_ORG.apiKey }, DEMO_ORG.secretKey);
}
