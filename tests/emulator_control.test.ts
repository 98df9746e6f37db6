// The emulator's control surface (docs/emulator.md), its fault injection and request counts over a
// real socket, and its HS256 implementation checked against jose and Web Crypto.

import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import { createEmulator, type Emulator, type EmulatorOptions } from "../src/emulator/mod.ts";
import { base64url, sha256, signJwt, verifyJwt } from "../src/emulator/jwt.ts";
import { serve } from "./_serve.ts";

const ORG = {
  orgId: "org_test_1",
  apiKey: "key_test_1",
  secretKey: "s3cr3t-key-for-tests-0123456789abcdef",
  callbackUrl: "http://127.0.0.1:9/auth/callback",
};
const SIGNED_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhcGlfa2V5Ijoia2V5X3Rlc3RfMSJ9.2a7KyGp8e_GUM-vPTAOtj5htxnvaE4W-0WwF3E0k59Y";
const CREDS = `api_key=${ORG.apiKey}&signed_key=${SIGNED_KEY}`;
const SECRET = new TextEncoder().encode(ORG.secretKey);

// Control replies are read field by field; their shapes are what the assertions check.
// deno-lint-ignore no-explicit-any
type Json = any;
type Control = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: Json }>;

async function withEmulator(
  fn: (emu: Emulator, control: Control, base: string, idle: () => Promise<void>) => Promise<void>,
  options: EmulatorOptions = { control: true },
): Promise<void> {
  const emu = createEmulator({ orgs: [ORG], ...options });
  // Requests the emulator is still handling, so that a test can wait until it is idle.
  let handling = 0;
  const whenIdle: Array<() => void> = [];
  const server = await serve(async (req) => {
    handling++;
    try {
      return await emu.fetch(req);
    } finally {
      if (--handling === 0) { for (const resolve of whenIdle.splice(0)) resolve(); }
    }
  });
  const idle = (): Promise<void> =>
    handling === 0 ? Promise.resolve() : new Promise((resolve) => whenIdle.push(resolve));
  const control: Control = async (method, path, body) => {
    const res = await fetch(`${server.url}/__emulator${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined
        ? {}
        : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  };
  try {
    await fn(emu, control, server.url, idle);
  } finally {
    await server.close();
  }
}

test("/__emulator answers 404 unless the emulator is created with control: true", async () => {
  await withEmulator(async (_emu, control) => {
    for (const [m, p] of [["POST", "/reset"], ["POST", "/users"], ["GET", "/requests"]]) {
      const r = await control(m!, p!, m === "GET" ? undefined : {});
      assert.equal(r.status, 404);
      assert.equal(typeof r.body.detail, "string");
    }
  }, {});
});

test("/__emulator seeds users, roles, codes and sessions that the API accepts", async () => {
  await withEmulator(async (_emu, control, base) => {
    const role = await control("POST", "/roles", {
      name: "viewer",
      permissions: [{ doc: "read" }],
    });
    assert.equal(role.status, 200);
    assert.deepEqual(
      { org_id: role.body.org_id, name: role.body.name, permissions: role.body.permissions },
      { org_id: ORG.orgId, name: "viewer", permissions: [{ doc: "read" }] },
    );
    const user = await control("POST", "/users", {
      email: "ada@example.com",
      name: "Ada",
      img: "https://x/a.png",
      roles: [role.body.rol_id],
    });
    assert.deepEqual(Object.keys(user.body).sort(), ["email", "img", "name", "roles", "uid"]);
    assert.deepEqual(user.body.roles, [role.body.rol_id]);

    const code = await control("POST", "/login-code", { email: "ada@example.com" });
    const data = await fetch(`${base}/api/user/me/auth/data?UserToken=${code.body.code}&${CREDS}`);
    const { payload } = await jwtVerify(await data.json(), SECRET, { algorithms: ["HS256"] });
    assert.equal(JSON.parse(payload.sub as string).uid, user.body.uid);
    assert.equal(payload.scope, JSON.stringify([role.body.rol_id]));

    // an unknown e-mail gets a new user
    const s = await control("POST", "/session", { email: "new@example.com" });
    assert.deepEqual(Object.keys(s.body).sort(), ["access_token", "refresh_token", "uid"]);
    assert.notEqual(s.body.uid, user.body.uid);
    const v = await fetch(
      `${base}/api/user/me/auth/validate/token?AccessToken=${s.body.access_token}&${CREDS}`,
    );
    assert.equal(v.status, 200);
    await v.body?.cancel();
    const byUid = await control("POST", "/session", { uid: user.body.uid });
    assert.equal(byUid.body.uid, user.body.uid);

    assert.deepEqual((await control("POST", "/reset")).body, { ok: true });
    const after = await fetch(
      `${base}/api/user/me/auth/validate/token?AccessToken=${s.body.access_token}&${CREDS}`,
    );
    assert.equal(after.status, 401);
    await after.body?.cancel();
  });
});

test("/__emulator/clock moves token expiry forward", async () => {
  let wall = 1_700_000_000_000;
  await withEmulator(async (_emu, control, base) => {
    const s = await control("POST", "/session", { email: "b@example.com" });
    const clock = await control("POST", "/clock", { advance_seconds: 3600 });
    assert.equal(clock.body.now, wall + 3_600_000);
    const v = await fetch(
      `${base}/api/user/me/auth/validate/token?AccessToken=${s.body.access_token}&${CREDS}`,
    );
    assert.equal(v.status, 401);
    assert.match((await v.json()).detail, /expired/);
    wall += 1; // the base clock still counts
    assert.equal(
      (await control("POST", "/clock", { advance_seconds: 0 })).body.now,
      wall + 3_600_000,
    );
  }, { control: true, now: () => wall });
});

test("/__emulator/requests counts API calls by path, not control calls or pages", async () => {
  await withEmulator(async (emu, control, base) => {
    for (
      const p of [
        "/rbac/role?org_id=org_test_1&",
        "/rbac/role?org_id=org_test_1&",
        "/api/user/me/auth/validate/token?",
      ]
    ) {
      await (await fetch(`${base}${p}${CREDS}`)).body?.cancel();
    }
    await (await fetch(`${base}/widget/login/?org_id=org_test_1`)).body?.cancel();
    const r = await control("GET", "/requests");
    assert.deepEqual(r.body, {
      total: 3,
      by_path: { "/rbac/role": 2, "/api/user/me/auth/validate/token": 1 },
    });
    assert.deepEqual(emu.requests(), {
      total: 3,
      byPath: { "/rbac/role": 2, "/api/user/me/auth/validate/token": 1 },
    });
    assert.deepEqual((await control("DELETE", "/requests")).body, { ok: true });
    assert.deepEqual(emu.requests(), { total: 0, byPath: {} });
  });
});

test("/__emulator answers bad input with a 4xx JSON detail", async () => {
  await withEmulator(async (_emu, control) => {
    const cases: Array<[string, string, unknown, number]> = [
      ["POST", "/users", "{oops", 400],
      ["POST", "/users", {}, 400],
      ["POST", "/users", { email: "nope" }, 400],
      ["POST", "/users", { email: "a@example.com", roles: ["rol_missing"] }, 404],
      ["POST", "/users", { email: "a@example.com", roles: "x" }, 400],
      ["POST", "/users", { org_id: "org_missing", email: "a@example.com" }, 404],
      ["POST", "/login-code", {}, 400],
      ["POST", "/session", { uid: "uid_missing" }, 404],
      ["POST", "/roles", { name: "x" }, 400],
      ["POST", "/clock", { advance_seconds: "soon" }, 400],
      ["POST", "/faults", { kind: "explode" }, 400],
      ["POST", "/faults", { kind: "status" }, 400],
      ["POST", "/faults", { kind: "latency", latency_ms: -1 }, 400],
      ["GET", "/users", undefined, 405],
      ["GET", "/nothing", undefined, 404],
    ];
    for (const [m, p, body, status] of cases) {
      const r = await control(m, p, body);
      assert.equal(r.status, status, `${m} ${p} ${JSON.stringify(body)}`);
      assert.equal(typeof r.body.detail, "string");
    }
    // nothing above created a user
    assert.equal((await control("POST", "/session", { email: "a@example.com" })).status, 200);
  });
});

test("/__emulator/faults: status with Retry-After, for count calls, on a path prefix", async () => {
  await withEmulator(async (_emu, control, base) => {
    const q = await control("POST", "/faults", {
      kind: "status",
      status: 503,
      retry_after: 7,
      count: 2,
      path: "/rbac/",
    });
    assert.deepEqual(q.body, { queued: 1 });
    const roles = `${base}/rbac/role?org_id=org_test_1&${CREDS}`;
    const other = await fetch(`${base}/api/user/me/auth/validate/token?AccessToken=x&${CREDS}`);
    assert.equal(other.status, 401, "another path is not affected");
    await other.body?.cancel();
    for (let i = 0; i < 2; i++) {
      const r = await fetch(roles);
      assert.equal(r.status, 503);
      assert.equal(r.headers.get("retry-after"), "7");
      assert.equal(typeof (await r.json()).detail, "string");
    }
    const ok = await fetch(roles);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), []);
  });
});

test("/__emulator/faults: malformed, wrong-shape and reset replies", async () => {
  await withEmulator(async (emu, control, base) => {
    const roles = `${base}/rbac/role?org_id=org_test_1&${CREDS}`;
    await control("POST", "/faults", { kind: "malformed" });
    const bad = await fetch(roles);
    assert.equal(bad.status, 200);
    await assert.rejects(bad.json());
    await control("POST", "/faults", { kind: "wrong-shape" });
    assert.deepEqual(await (await fetch(roles)).json(), { unexpected: true });
    emu.inject({ kind: "reset" });
    await assert.rejects(async () => await (await fetch(roles)).text());
    assert.equal((await fetch(roles)).status, 200);
    assert.equal(emu.requests().byPath["/rbac/role"], 4);
  });
});

test("/__emulator/faults: bad-signature and alg-none hit the next signed reply only", async () => {
  await withEmulator(async (emu, control, base) => {
    const s = emu.session({ email: "sig@example.com" });
    const data = `${base}/api/user/me/data?AccessToken=${s.accessToken}&${CREDS}`;
    await control("POST", "/faults", { kind: "bad-signature" });
    await control("POST", "/faults", { kind: "alg-none" });
    const validate = await fetch(
      `${base}/api/user/me/auth/validate/token?AccessToken=${s.accessToken}&${CREDS}`,
    );
    assert.equal(validate.status, 200, "an unsigned reply does not consume them");
    await validate.body?.cancel();

    const forged = await (await fetch(data)).json();
    await assert.rejects(jwtVerify(forged, SECRET, { algorithms: ["HS256"] }));
    const unsecured = await (await fetch(data)).json();
    assert.equal(decodeProtectedHeader(unsecured).alg, "none");
    assert.ok(unsecured.endsWith("."));
    await assert.rejects(jwtVerify(unsecured, SECRET, { algorithms: ["HS256"] }));
    const good = await (await fetch(data)).json();
    assert.equal((await jwtVerify(good, SECRET, { algorithms: ["HS256"] })).payload.uid, s.uid);
  });
});

test("/__emulator/faults: latency delays the answer past a client timeout", async () => {
  await withEmulator(async (_emu, control, base, idle) => {
    await control("POST", "/faults", { kind: "latency", latency_ms: 400 });
    const roles = `${base}/rbac/role?org_id=org_test_1&${CREDS}`;
    await assert.rejects(fetch(roles, { signal: AbortSignal.timeout(20) }));
    const r = await fetch(roles, { signal: AbortSignal.timeout(5000) });
    assert.equal(r.status, 200, "the fault was used up");
    await r.body?.cancel();
    // The delayed handler finishes before the server closes.
    await idle();
  });
});

test("createEmulator() in-process helpers seed, count and reset", async () => {
  const emu = createEmulator({ orgs: [ORG] });
  const role = emu.seedRole({ name: "r", permissions: [{ a: "b" }], rolId: "rol_fixed" });
  assert.equal(role.rol_id, "rol_fixed");
  const u = emu.seedUser({ email: "x@example.com", roles: ["rol_fixed"] });
  assert.deepEqual(emu.seedUser({ email: "x@example.com", name: "X" }).roles, ["rol_fixed"]);
  assert.equal(emu.session({ uid: u.uid }).uid, u.uid);
  const code = emu.mintCode({ email: "x@example.com" });
  const res = await emu.fetch(
    new Request(`http://emu/api/user/me/auth/data?UserToken=${code}&${CREDS}`),
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("X-EDGE"), "1");
  await res.body?.cancel();
  assert.deepEqual(emu.requests(), { total: 1, byPath: { "/api/user/me/auth/data": 1 } });
  assert.throws(() => emu.seedRole({ name: "dup", permissions: [], rolId: "rol_fixed" }), /taken/);
  assert.throws(() => emu.session({ uid: "uid_missing" }), /Unknown user/);
  emu.reset();
  assert.deepEqual(emu.requests(), { total: 0, byPath: {} });
  assert.throws(() => emu.session({ uid: u.uid }), /Unknown user/);
  assert.throws(() => createEmulator({ orgs: [] }), /orgs/);
  assert.throws(() => createEmulator({ orgs: [ORG, ORG] }), /share/);
  assert.throws(() => createEmulator({ accessTokenTtlSeconds: 0 }), /accessTokenTtlSeconds/);
});

test("sha256() and signJwt() agree with Web Crypto and jose", async () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
    const data = crypto.getRandomValues(new Uint8Array(n));
    const expected = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    assert.equal(base64url(sha256(data)), base64url(expected), `length ${n}`);
  }
  const longSecret = "k".repeat(100); // longer than a block: HMAC hashes the key first
  for (const secret of [ORG.secretKey, longSecret]) {
    const key = new TextEncoder().encode(secret);
    const mine = signJwt({ api_key: "key_test_1", n: 1 }, secret);
    assert.deepEqual((await jwtVerify(mine, key, { algorithms: ["HS256"] })).payload, {
      api_key: "key_test_1",
      n: 1,
    });
    const theirs = await new SignJWT({ hello: "wörld" }).setProtectedHeader({ alg: "HS256" }).sign(
      key,
    );
    assert.deepEqual(verifyJwt(theirs, secret), { hello: "wörld" });
    assert.equal(verifyJwt(theirs, "other"), null);
    assert.equal(verifyJwt(`${theirs.slice(0, -2)}AA`, secret), null);
  }
  assert.equal(signJwt({ api_key: "key_test_1" }, ORG.secretKey), SIGNED_KEY);
  assert.equal(verifyJwt(signJwt({ a: 1 }, "", "none"), ""), null);
  assert.equal(verifyJwt("a.b", ORG.secretKey), null);
  assert.equal(verifyJwt("!!.??.**", ORG.secretKey), null);
});
