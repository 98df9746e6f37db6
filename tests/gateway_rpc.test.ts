import { test } from "node:test";
import assert from "node:assert/strict";
import { serve } from "./_serve.ts";
import { testClient } from "hono/testing";
import { signApiKey } from "../mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { ADMIN_KEY, type GatewayFixture, SERVICE_KEY, startGateway } from "./_gateway_fixture.ts";

const auth = { headers: { authorization: `Bearer ${SERVICE_KEY}` } };

async function withGateway(run: (fx: GatewayFixture) => Promise<void>): Promise<void> {
  const fx = await startGateway();
  try {
    await run(fx);
  } finally {
    await fx.close();
  }
}

function rpc(fx: GatewayFixture) {
  return testClient(fx.app, undefined, undefined, auth).rpc;
}

async function post(fx: GatewayFixture, path: string, body: unknown, headers = {}) {
  return await fx.app.request(`http://gw.test${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth.headers, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

test("POST /rpc/generateUrl answers the login URL", () =>
  withGateway(async (fx) => {
    const res = await rpc(fx).generateUrl.$post({ json: {} });
    assert.equal(res.status, 200);
    if (res.status !== 200) return;
    assert.deepEqual(await res.json(), { url: `${fx.server.url}/widget/login/?org_id=org_demo` });
  }));

test("POST /rpc/generateUrl takes no body at all", () =>
  withGateway(async (fx) => {
    const res = await fx.app.request("http://gw.test/rpc/generateUrl", {
      method: "POST",
      headers: auth.headers,
    });
    assert.equal(res.status, 200);
  }));

test("POST /rpc/getUser exchanges a login code; getUserData and reAuth answer", () =>
  withGateway(async (fx) => {
    fx.emu.seedUser({ email: "ada@example.com", name: "Ada" });
    const res = await rpc(fx).getUser.$post({
      json: { userToken: fx.emu.mintCode({ email: "ada@example.com" }) },
    });
    assert.equal(res.status, 200);
    if (res.status !== 200) return;
    const user = await res.json();
    assert.equal(user.email, "ada@example.com");
    assert.equal(user.name, "Ada");
    assert.equal(typeof user.accessToken, "string");

    const data = await rpc(fx).getUserData.$post({ json: { accessToken: user.accessToken } });
    assert.equal(data.status, 200);
    if (data.status !== 200) return;
    assert.equal((await data.json()).uid, user.uid);

    const re = await rpc(fx).reAuth.$post({
      json: { code: fx.emu.mintCode({ email: "ada@example.com" }) },
    });
    assert.equal(re.status, 200);
    if (re.status !== 200) return;
    assert.equal((await re.json()).uid, user.uid);
  }));

test("POST /rpc/getAccessTokenFromRefreshToken and validateAccessToken", () =>
  withGateway(async (fx) => {
    const s = fx.emu.session({ email: "bob@example.com" });
    const pair = await rpc(fx).getAccessTokenFromRefreshToken.$post({
      json: { refreshToken: s.refreshToken },
    });
    assert.equal(pair.status, 200);
    if (pair.status !== 200) return;
    const { accessToken } = await pair.json();
    const ok = await rpc(fx).validateAccessToken.$post({ json: { accessToken } });
    assert.deepEqual(await ok.json(), { valid: true });
    const bad = await rpc(fx).validateAccessToken.$post({ json: { accessToken: "x.y.z" } });
    assert.deepEqual(await bad.json(), { valid: false });
  }));

test("POST /rpc/validateTokenSet answers from the cache, then refreshes past expiry", () =>
  withGateway(async (fx) => {
    const s = fx.emu.session({ email: "carol@example.com" });
    const json = { accessToken: s.accessToken, refreshToken: s.refreshToken };
    const first = await rpc(fx).validateTokenSet.$post({ json });
    assert.deepEqual(await first.json(), {
      state: true,
      access: s.accessToken,
      refresh: s.refreshToken,
    });
    fx.emu.resetRequests();
    const second = await rpc(fx).validateTokenSet.$post({ json });
    assert.equal(second.status, 200);
    assert.equal(fx.emu.requests().total, 0, "answered from the cache");
    assert.ok(fx.store.calls.put > 0, "the store received an entry");

    fx.advance(3700);
    const third = await rpc(fx).validateTokenSet.$post({ json });
    assert.equal(third.status, 200);
    if (third.status !== 200) return;
    const check = await third.json();
    assert.equal(check.state, false);
    assert.notEqual(check.access, s.accessToken);
  }));

test("POST /rpc/validateTokenSet with a dead set answers 401 ERR_INVALID_TOKEN_SET", () =>
  withGateway(async (fx) => {
    const res = await rpc(fx).validateTokenSet.$post({ json: { accessToken: "dead.token.x" } });
    assert.equal(res.status, 401);
    if (res.status !== 401) return;
    const body = await res.json();
    assert.equal(body.error.code, "ERR_INVALID_TOKEN_SET");
  }));

test("POST /rpc/revokeToken revokes; generateEditUserUrl answers a settings URL", () =>
  withGateway(async (fx) => {
    const s = fx.emu.session({ email: "dan@example.com" });
    const url = await rpc(fx).generateEditUserUrl.$post({
      json: { accessToken: s.accessToken, redirectUrl: "https://app.example/done" },
    });
    assert.equal(url.status, 200);
    if (url.status !== 200) return;
    const u = new URL((await url.json()).url);
    assert.equal(u.pathname, "/api/user/me/settings/");
    assert.equal(u.searchParams.get("url"), "https://app.example/done");

    const res = await rpc(fx).revokeToken.$post({
      json: { accessToken: s.accessToken, refreshToken: s.refreshToken },
    });
    assert.deepEqual(await res.json(), { revoked: true });
    assert.equal(await fx.client.validateAccessToken(s.accessToken), false);
  }));

test("POST /rpc/roles/* manage roles and answer from the role cache", () =>
  withGateway(async (fx) => {
    const r = rpc(fx).roles;
    const added = await r.addRole.$post({
      json: { name: "editors", permissions: { doc: "write" } },
    });
    assert.equal(added.status, 200);
    if (added.status !== 200) return;
    const role = await added.json();
    assert.equal(role.name, "editors");

    const all = await r.getAllRoles.$post({ json: {} });
    if (all.status !== 200) return assert.fail(String(all.status));
    assert.ok((await all.json()).roles.some((x) => x.rolId === role.rolId));

    const perm = await r.addPermission.$post({
      json: { rolId: role.rolId, permissions: [{ doc: "read" }, { admin: "true" }] },
    });
    assert.equal(perm.status, 200);
    const valid = await r.validate.$post({
      json: { roleId: role.rolId, key: "admin", value: "true" },
    });
    assert.deepEqual(await valid.json(), { valid: true });
    const q = await r.query.$post({ json: { permissionKey: "admin" } });
    if (q.status !== 200) return assert.fail(String(q.status));
    assert.deepEqual((await q.json()).matches.map((m) => m.roleId), [role.rolId]);
    const del = await r.deletePermission.$post({
      json: { rolId: role.rolId, permissions: { admin: "true" } },
    });
    assert.equal(del.status, 200);
    const invalid = await r.validate.$post({
      json: { roleId: role.rolId, key: "admin", value: "true" },
    });
    assert.deepEqual(await invalid.json(), { valid: false });
    const count = await r.count.$post({ json: {} });
    assert.deepEqual(await count.json(), { count: 1 });
    const gone = await r.deleteRole.$post({ json: { rolId: role.rolId } });
    assert.equal(gone.status, 200);
    assert.deepEqual(await (await r.count.$post({ json: {} })).json(), { count: 0 });
  }));

test("POST /rpc/attachRole, removeRole and updateRole assign roles", () =>
  withGateway(async (fx) => {
    const a = fx.emu.seedRole({ name: "a", permissions: [{ x: "1" }] });
    const b = fx.emu.seedRole({ name: "b", permissions: [{ y: "1" }] });
    const s = fx.emu.session({ email: "erin@example.com" });
    const attach = await rpc(fx).attachRole.$post({ json: { uid: s.uid, rolIds: a.rol_id } });
    assert.equal(attach.status, 200);
    if (attach.status !== 200) return;
    assert.equal((await attach.json()).signedOff, false);

    const update = await rpc(fx).updateRole.$post({
      json: {
        uid: s.uid,
        rolIdsToAdd: [b.rol_id],
        rolIdsToRemove: [a.rol_id],
        signoffSessionAndAssign: true,
        accessToken: s.accessToken,
        refreshToken: s.refreshToken,
      },
    });
    assert.equal(update.status, 200);
    if (update.status !== 200) return;
    const signed = await update.json();
    assert.equal(signed.signedOff, true);
    if (signed.signedOff) assert.deepEqual(signed.roles, [b.rol_id]);

    const remove = await rpc(fx).removeRole.$post({ json: { uid: s.uid, rolIds: [b.rol_id] } });
    assert.equal(remove.status, 200);

    const missing = await rpc(fx).attachRole.$post({
      json: { uid: s.uid, rolIds: a.rol_id, signoffSessionAndAssign: true },
    });
    assert.equal(missing.status, 400);
  }));

test("POST /rpc/* without, with a wrong or with the admin credential answers 401", () =>
  withGateway(async (fx) => {
    const none = await fx.app.request("http://gw.test/rpc/generateUrl", { method: "POST" });
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
    assert.equal((await none.json()).error.code, "ERR_UNAUTHORIZED");
    for (const key of ["wrong-key-0123456789abcdef", ADMIN_KEY, `${SERVICE_KEY}x`, "Basic x"]) {
      const res = await post(fx, "/rpc/generateUrl", {}, { authorization: `Bearer ${key}` });
      assert.equal(res.status, 401, key);
    }
  }));

test("/rpc/* paths and methods no route serves answer 401 without the credential, 404 with it", () =>
  withGateway(async (fx) => {
    for (
      const [method, path] of [["POST", "/rpc/nope"], ["GET", "/rpc/validateTokenSet"]] as const
    ) {
      const none = await fx.app.request(`http://gw.test${path}`, { method });
      assert.equal(none.status, 401, `${method} ${path}`);
      assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.equal((await none.json()).error.code, "ERR_UNAUTHORIZED");
      const wrong = await fx.app.request(`http://gw.test${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      assert.equal(wrong.status, 401, `${method} ${path} with the admin key`);
      const known = await fx.app.request(`http://gw.test${path}`, { method, ...auth });
      assert.equal(known.status, 404, `${method} ${path} with the service key`);
      assert.equal((await known.json()).error.code, "ERR_NOT_FOUND");
    }
  }));

test("POST /rpc/* with a bad body answers 400 with the issues", () =>
  withGateway(async (fx) => {
    const res = await post(fx, "/rpc/getUser", { userToken: 42, extra: true });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, "ERR_BAD_INPUT");
    assert.deepEqual(body.error.issues[0].path, ["json", "userToken"]);
    assert.equal(body.error.issues[0].code, "invalid_type");

    const malformed = await post(fx, "/rpc/getUser", "{not json");
    assert.equal(malformed.status, 400);
    assert.equal((await malformed.json()).error.code, "ERR_BAD_INPUT");

    const empty = await post(fx, "/rpc/getUser", "");
    assert.equal(empty.status, 400);
  }));

test("POST /rpc/* with another content type answers 415", () =>
  withGateway(async (fx) => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
      const res = await post(fx, "/rpc/getUser", "userToken=x", { "content-type": type });
      assert.equal(res.status, 415, type);
      assert.equal((await res.json()).error.code, "ERR_UNSUPPORTED_MEDIA_TYPE");
    }
  }));

test("POST /rpc/* with an oversized body answers 413", () =>
  withGateway(async (fx) => {
    const res = await post(fx, "/rpc/getUser", { userToken: "x".repeat(70 * 1024) });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "ERR_PAYLOAD_TOO_LARGE");
  }));

test("POST /rpc/* with a declared Content-Length over the limit answers 413 before reading the body", () =>
  withGateway(async (fx) => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode("{}"));
        controller.close();
      },
    }, { highWaterMark: 0 }); // pulled only when someone reads
    const res = await fx.app.request("http://gw.test/rpc/getUser", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-length": String(1024 * 1024),
        ...auth.headers,
      },
      body,
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "ERR_PAYLOAD_TOO_LARGE");
    assert.equal(pulled, 0, "the body was not read");
  }));

test("POST /rpc/* with a streamed body and no length answers 413 once it passes the limit", () =>
  withGateway(async (fx) => {
    const chunk = new TextEncoder().encode(`{"userToken":"${"x".repeat(16 * 1024)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fx.app.request("http://gw.test/rpc/getUser", {
      method: "POST",
      headers: { "content-type": "application/json", ...auth.headers },
      body,
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "ERR_PAYLOAD_TOO_LARGE");
  }));

test("POST /rpc/* over a real socket: a body within the limit reaches the route, one over it is 413", () =>
  withGateway(async (fx) => {
    const server = await serve(fx.app.fetch);
    try {
      const send = (userToken: string) =>
        fetch(`${server.url}/rpc/getUser`, {
          method: "POST",
          headers: { "content-type": "application/json", ...auth.headers },
          body: JSON.stringify({ userToken }),
        });
      const small = await send("not-a-code");
      assert.equal(small.status, 401, "the route ran and the upstream refused the code");
      await small.body?.cancel();
      const big = await send("x".repeat(70 * 1024));
      assert.equal(big.status, 413);
      await big.body?.cancel();
    } finally {
      await server.close();
    }
  }));

test("POST /rpc/* maps upstream failures: 403 stays 403, an outage is 503 + Retry-After, a bad reply 502", () =>
  withGateway(async (fx) => {
    const s = fx.emu.session({ email: "fay@example.com" });
    // [fault, status, code, Retry-After]: an upstream that fails (5xx, 408, reset) is
    // weather, answered as the breaker answers it when open (503, try again after); one that
    // answers nonsense is a bad gateway (502, no Retry-After: waiting will not mend it).
    const path = "/api/user/me/data";
    const cases: Array<[Record<string, unknown>, number, string, string | null]> = [
      [{ kind: "status", status: 403, path }, 403, "ERR_HTTP", null],
      [{ kind: "status", status: 500, path }, 503, "ERR_HTTP", "5"],
      [{ kind: "status", status: 503, path, retry_after: 7 }, 503, "ERR_HTTP", "7"],
      [{ kind: "status", status: 502, path, retry_after: 86_400 }, 503, "ERR_HTTP", "300"],
      [{ kind: "status", status: 408, path }, 503, "ERR_HTTP", "5"],
      [{ kind: "status", status: 429, path, retry_after: 9 }, 429, "ERR_HTTP", "9"],
      [{ kind: "reset", path }, 503, "ERR_NETWORK", "5"],
      [{ kind: "bad-signature", path }, 502, "ERR_BAD_SIGNATURE", null],
      [{ kind: "malformed", path }, 502, "ERR_BAD_REPLY", null],
    ];
    for (const [fault, status, code, retryAfter] of cases) {
      fx.emu.inject(fault as never);
      const res = await rpc(fx).getUserData.$post({ json: { accessToken: s.accessToken } });
      assert.equal(res.status, status, JSON.stringify(fault));
      assert.equal(res.headers.get("retry-after"), retryAfter, JSON.stringify(fault));
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, code);
      // A success between two cases: five outages in a row would open the breaker.
      const ok = await rpc(fx).getUserData.$post({ json: { accessToken: s.accessToken } });
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
    }
  }));

test("secrets never appear in a reply, even when the upstream echoes them", () =>
  withGateway(async (fx) => {
    const signed = await signApiKey(DEMO_ORG.apiKey, DEMO_ORG.secretKey);
    const secrets = [DEMO_ORG.apiKey, DEMO_ORG.secretKey, signed, SERVICE_KEY, ADMIN_KEY];
    const s = fx.emu.session({ email: "gil@example.com" });
    fx.emu.inject({
      kind: "status",
      status: 500,
      path: "/api/user/me/data",
      body: `leak ${DEMO_ORG.apiKey} ${signed} ${DEMO_ORG.secretKey}`,
    } as never);
    const texts = [
      await (await post(fx, "/rpc/getUserData", { accessToken: s.accessToken })).text(),
      await (await post(fx, "/rpc/getUser", { userToken: "nope" })).text(),
      await (await fx.app.request("http://gw.test/openapi.json")).text(),
      await (await post(fx, "/rpc/generateUrl", {}, { authorization: "Bearer wrong" })).text(),
    ];
    for (const text of texts) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `leaked in ${text}`);
    }
  }));

test("createGateway() answers 500 without detail for an unexpected error", async () => {
  const fx = await startGateway({
    ui: (app) => {
      app.get("/boom", () => {
        throw new Error(`boom ${SERVICE_KEY}`);
      });
    },
  });
  try {
    const res = await fx.app.request("http://gw.test/boom");
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), {
      error: { code: "ERR_INTERNAL", message: "Internal error" },
    });
    const missing = await fx.app.request("http://gw.test/nope");
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "ERR_NOT_FOUND");
  } finally {
    await fx.close();
  }
});

test("POST /rpc/roles/deleteRole with an unknown role passes the upstream's 404 on, not a 502", () =>
  withGateway(async (fx) => {
    const res = await post(fx, "/rpc/roles/deleteRole", { rolId: "rol_missing" });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, "ERR_HTTP");
  }));
