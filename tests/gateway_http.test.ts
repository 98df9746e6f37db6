import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteClient, AuthLiteError } from "../mod.ts";
import { createGateway, operationNames } from "../src/gateway/mod.ts";
import { operationPath } from "../src/gateway/operations.ts";
import { bearerOf } from "../src/_bearer.ts";
import { timingSafeEqual } from "../src/_compare.ts";
import { CredentialSet } from "../src/gateway/_credentials.ts";
import { SERVICE_KEY, SESSION_SECRET, startGateway } from "./_gateway_fixture.ts";

const ORIGIN = "http://gw.test";

test("GET /openapi.json documents every route with its replies and security", async () => {
  const fx = await startGateway();
  try {
    const res = await fx.app.request(`${ORIGIN}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.equal(doc.openapi, "3.0.0");
    // Every operation of the table (its list is pinned in gateway_operations.test.ts).
    const rpc = operationNames.map((name) => operationPath(name).slice(1));
    assert.ok(rpc.includes("roles/query"));
    for (const op of rpc) {
      const path = doc.paths[`/rpc/${op}`];
      assert.ok(path?.post, `/rpc/${op} documented`);
      for (const status of ["200", "400", "401", "403", "404", "413", "415", "429", "502", "503"]) {
        assert.ok(path.post.responses[status], `/rpc/${op} ${status}`);
      }
      assert.deepEqual(path.post.security, [{ serviceKey: [] }]);
      assert.ok(path.post.requestBody.content["application/json"].schema);
    }
    for (const p of ["/auth/login", "/auth/callback", "/auth/me", "/auth/profile"]) {
      assert.ok(doc.paths[p]?.get, p);
    }
    assert.ok(doc.paths["/auth/logout"]?.post);
    assert.ok(doc.paths["/admin/roles"]?.get && doc.paths["/admin/roles"]?.post);
    assert.ok(doc.paths["/admin/roles/{rolId}"]?.delete);
    assert.ok(doc.paths["/admin/roles/{rolId}/permissions"]?.post);
    assert.ok(doc.paths["/admin/roles/{rolId}/permissions"]?.delete);
    assert.ok(doc.paths["/admin/users/{uid}/roles"]?.post);
    assert.deepEqual(doc.paths["/admin/roles"].get.security, [{ adminKey: [] }, { session: [] }]);
    assert.ok(doc.components.securitySchemes.serviceKey);
    assert.ok(doc.components.schemas.Error);
    assert.equal(doc.servers[0].url, "/", "never the request's Host");

    // Swagger UI is opt-in (`docs: { ui }`): tests/security_docs.test.ts.
    const docs = await fx.app.request(`${ORIGIN}/docs`);
    assert.equal(docs.status, 404);
    await docs.body?.cancel();
  } finally {
    await fx.close();
  }
});

test("createGateway() with cors allows listed origins only, with credentials", async () => {
  const fx = await startGateway({ cors: ["https://app.example"] });
  try {
    const ok = await fx.app.request(`${ORIGIN}/health`, {
      headers: { origin: "https://app.example" },
    });
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
    const preflight = await fx.app.request(`${ORIGIN}/rpc/getUser`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
      },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
    const other = await fx.app.request(`${ORIGIN}/health`, {
      headers: { origin: "https://evil.example" },
    });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  } finally {
    await fx.close();
  }
});

test("createGateway() with rateLimit answers 429 with Retry-After past the limit", async () => {
  let t = 1_000_000;
  const fx = await startGateway({
    rateLimit: { limit: 2, windowSeconds: 60, now: () => t, key: () => "one" },
  });
  try {
    const call = () => fx.app.request(`${ORIGIN}/auth/me`);
    assert.equal((await call()).status, 401);
    assert.equal((await call()).status, 401);
    const limited = await call();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "60");
    // The guard's own refusal carries the session routes' headers too.
    assert.equal(limited.headers.get("cache-control"), "no-store");
    assert.equal(limited.headers.get("x-content-type-options"), "nosniff");
    assert.equal((await limited.json()).error.code, "ERR_RATE_LIMITED");
    assert.equal((await fx.app.request(`${ORIGIN}/health`)).status, 200, "health is not limited");
    t += 60_000;
    assert.equal((await call()).status, 401, "a new window");
  } finally {
    await fx.close();
  }
});

test("createGateway() rejects a short session secret or key with ERR_CONFIG", () => {
  const client = new AuthLiteClient({ apiKey: "k", secretKey: "s", orgId: "o" });
  for (
    const options of [
      { client, sessionSecret: "short" },
      { client, sessionSecret: SESSION_SECRET, serviceKey: "short" },
      { client, sessionSecret: SESSION_SECRET, adminKey: ["x".repeat(16), "short"] },
      { client, sessionSecret: SESSION_SECRET, publicUrl: "not a url" },
    ]
  ) {
    assert.throws(
      () => createGateway(options),
      (err: unknown) => err instanceof AuthLiteError && err.code === "ERR_CONFIG",
    );
  }
});

test("CredentialSet.matches() accepts each configured key and nothing else", () => {
  const set = new CredentialSet([SERVICE_KEY, `${SERVICE_KEY}-next`]);
  assert.equal(set.matches(SERVICE_KEY), true);
  assert.equal(set.matches(`${SERVICE_KEY}-next`), true);
  assert.equal(set.matches(SERVICE_KEY.slice(0, -1)), false);
  assert.equal(set.matches(""), false);
  const none = new CredentialSet([]);
  assert.equal(none.empty, true);
  assert.equal(none.matches(""), false);
  const bytes = (...b: number[]) => new Uint8Array(b);
  assert.equal(timingSafeEqual(bytes(1, 2), bytes(1, 2)), true);
  assert.equal(timingSafeEqual(bytes(1, 2), bytes(1, 3)), false);
  assert.equal(timingSafeEqual(bytes(1), bytes(1, 2)), false);
  assert.equal(timingSafeEqual(bytes(1, 2), bytes(1)), false);
  assert.equal(timingSafeEqual(bytes(1, 1), bytes(1)), false, "a repeated prefix is no match");
  assert.equal(timingSafeEqual(bytes(1), bytes()), false);
  assert.equal(bearerOf("Bearer abc"), "abc");
  assert.equal(bearerOf("bearer  abc "), "abc");
  assert.equal(bearerOf("Basic abc"), undefined);
  assert.equal(bearerOf("Bearer a b"), undefined);
  assert.equal(bearerOf(undefined), undefined);
});

test("GET /health answers without calling the upstream", async () => {
  const fx = await startGateway();
  try {
    fx.emu.resetRequests();
    const res = await fx.app.request(`${ORIGIN}/health`);
    assert.deepEqual(await res.json(), { ok: true });
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(fx.emu.requests().total, 0);
  } finally {
    await fx.close();
  }
});
