// Bad input of every kind at every route, emulator and gateway alike: a 4xx
// with a JSON error, never a 500, never a crash, and no secret in the reply.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { operationNames } from "../src/gateway/mod.ts";
import { operationPath } from "../src/gateway/operations.ts";
import { ADMIN_KEY, SERVICE_KEY, startGateway } from "./_gateway_fixture.ts";
import { EMULATOR_API_ROUTES } from "./_emulator_routes.ts";

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

const GARBAGE_BODIES: Array<string | undefined> = [
  undefined,
  "",
  "{",
  "null",
  "[]",
  '"a string"',
  "42",
  "true",
  '{"__proto__":{"admin":true}}',
  '{"uid":[],"rol_id":{},"inplace":7,"permissions":"x","name":null}',
  '{"accessToken":1,"refreshToken":{},"userToken":[],"code":false}',
  `{"x":"${"é".repeat(200)}"}`,
  "\u0000\u0001\u0002",
];

function garbageValue(next: () => number): string {
  const choices = ["", " ", "a", "True", "false", "%00", "../..", "x".repeat(300), "🙂", "-1"];
  return choices[Math.floor(next() * choices.length)]!;
}

test("every emulator route answers garbage with a 4xx JSON detail, never a 500", async () => {
  const emu = createEmulator({ control: true });
  const next = random(7);
  const routes: Array<readonly [string, string]> = [
    ...EMULATOR_API_ROUTES,
    ["PUT", "/rbac/role"],
    ["GET", "/no/such/route"],
    ["POST", "/__emulator/users"],
    ["POST", "/__emulator/faults"],
    ["POST", "/__emulator/clock"],
  ];
  const params = ["code", "UserToken", "AccessToken", "RefreshToken", "Token", "org_id"];
  for (const [method, path] of routes) {
    for (const body of GARBAGE_BODIES) {
      for (const withCredentials of [false, true]) {
        const url = new URL(`http://emu.test${path}`);
        for (const p of params) if (next() < 0.5) url.searchParams.set(p, garbageValue(next));
        if (withCredentials) {
          url.searchParams.set("api_key", DEMO_ORG.apiKey);
          url.searchParams.set("signed_key", next() < 0.5 ? "garbage" : garbageValue(next));
          url.searchParams.set("org_id", DEMO_ORG.orgId);
        }
        const init: RequestInit = { method };
        if (body !== undefined && method !== "GET") {
          init.body = body;
          init.headers = { "content-type": "application/json" };
        }
        const res = await emu.fetch(new Request(url, init));
        const what = `${method} ${path} body=${JSON.stringify(body)}`;
        assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status}`);
        const json = await res.json() as { detail?: unknown };
        assert.equal(typeof json.detail, "string", what);
      }
    }
  }
});

test("every gateway route answers garbage without a 5xx, errors as JSON, and no secret", async () => {
  const fx = await startGateway();
  try {
    // Every operation of the table.
    const rpc = operationNames.map((name) =>
      ["POST", `/rpc${operationPath(name)}`, SERVICE_KEY] as const
    );
    const admin = [
      ["POST", "/admin/roles", ADMIN_KEY],
      ["DELETE", "/admin/roles/rol_missing", ADMIN_KEY],
      ["POST", "/admin/roles/rol_missing/permissions", ADMIN_KEY],
      ["DELETE", "/admin/roles/rol_missing/permissions", ADMIN_KEY],
      ["POST", "/admin/users/uid_missing/roles", ADMIN_KEY],
      ["POST", "/auth/logout", ""],
      ["GET", "/auth/callback", ""],
      ["GET", "/auth/profile/callback", ""],
      ["GET", "/auth/me", ""],
      ["PUT", "/rpc/getUser", SERVICE_KEY],
      ["GET", "/nowhere", ""],
    ] as const;
    const secrets = [DEMO_ORG.secretKey, DEMO_ORG.apiKey, SERVICE_KEY, ADMIN_KEY];
    for (const [method, path, key] of [...rpc, ...admin]) {
      for (const body of GARBAGE_BODIES) {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (key !== "") headers.authorization = `Bearer ${key}`;
        const init: RequestInit = { method, headers };
        if (body !== undefined && method !== "GET") init.body = body;
        const res = await fx.app.request(`http://gw.test${path}?code=%00&ac=maybe`, init);
        const text = await res.text();
        const what = `${method} ${path} body=${JSON.stringify(body)}`;
        // Some garbage is valid input (`{}` is an empty query): then any answer but a 5xx.
        assert.ok(res.status < 500, `${what}: ${res.status} ${text}`);
        if (res.status >= 400) {
          const json = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
          assert.equal(typeof json.error?.code, "string", what);
          assert.equal(typeof json.error?.message, "string", what);
        }
        for (const secret of secrets) assert.ok(!text.includes(secret), `${what} leaks a secret`);
      }
    }
  } finally {
    await fx.close();
  }
});
