// The emulated TrustAuthX API over a real socket: credentials, signed replies, tokens, roles,
// the official connector's requests, and bad input.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { decodeJwt, jwtVerify, SignJWT } from "jose";
import { createEmulator, type Emulator, type EmulatorOptions } from "../src/emulator/mod.ts";
import { serve } from "./_serve.ts";

const ORG = {
  orgId: "org_test_1",
  apiKey: "key_test_1",
  secretKey: "s3cr3t-key-for-tests-0123456789abcdef",
  callbackUrl: "http://127.0.0.1:9/auth/callback",
};
// From vectors/README.md: computed by the official connector, not by the emulator.
const SIGNED_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhcGlfa2V5Ijoia2V5X3Rlc3RfMSJ9.2a7KyGp8e_GUM-vPTAOtj5htxnvaE4W-0WwF3E0k59Y";
const SECRET = new TextEncoder().encode(ORG.secretKey);

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

type Call = (
  method: string,
  path: string,
  params?: Record<string, string>,
  body?: unknown,
) => Promise<Reply>;

async function withEmulator(
  fn: (emu: Emulator, call: Call, base: string) => Promise<void>,
  options: EmulatorOptions = {},
): Promise<void> {
  const emu = createEmulator({ orgs: [ORG], ...options });
  const server = await serve(emu.fetch);
  const call: Call = async (method, path, params = {}, body) => {
    const url = new URL(path, server.url);
    const rbac = path.startsWith("/rbac/");
    const all = {
      ...(rbac ? { org_id: ORG.orgId } : {}),
      api_key: ORG.apiKey,
      signed_key: SIGNED_KEY,
      ...params,
    };
    for (const [k, v] of Object.entries(all)) if (v !== "") url.searchParams.set(k, v);
    const init: RequestInit = { method, headers: { accept: "application/json" } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      init.headers = { accept: "application/json", "content-type": "application/json" };
    }
    const res = await fetch(url, init);
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text === "" ? undefined : JSON.parse(text),
    };
  };
  try {
    await fn(emu, call, server.url);
  } finally {
    await server.close();
  }
}

async function verified(signed: unknown, currentDate?: Date): Promise<Record<string, unknown>> {
  assert.equal(typeof signed, "string", "a signed reply is a JSON string");
  const { payload, protectedHeader } = await jwtVerify(signed as string, SECRET, {
    algorithms: ["HS256"],
    ...(currentDate ? { currentDate } : {}),
  });
  assert.equal(protectedHeader.alg, "HS256");
  return payload as Record<string, unknown>;
}

function assertDetail(r: Reply, status: number): void {
  assert.equal(r.status, status);
  assert.equal(typeof (r.body as { detail?: unknown }).detail, "string");
}

describe("emulator API", () => {
  test("GET /api/user/me/auth/data exchanges a login code for a verified signed user", async () => {
    await withEmulator(async (emu, call) => {
      const role = emu.seedRole({ name: "viewer", permissions: [{ doc: "read" }] });
      const user = emu.seedUser({
        email: "ada@example.com",
        name: "Ada",
        img: "https://x/ada.png",
        roles: [role.rol_id],
      });
      const r = await call("GET", "/api/user/me/auth/data", {
        UserToken: emu.mintCode({ email: "ada@example.com" }),
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("X-EDGE"), "1");
      const claims = await verified(r.body);
      for (
        const k of [
          "iss",
          "jti",
          "access_token",
          "type",
          "exp",
          "refresh_token",
          "refresh_exp",
          "scope",
          "img",
          "name",
          "iat",
          "sub",
        ]
      ) {
        assert.ok(k in claims, `claim ${k}`);
      }
      const sub = JSON.parse(claims.sub as string);
      assert.equal(sub.email, "ada@example.com");
      assert.equal(sub.uid, user.uid);
      assert.deepEqual(JSON.parse(claims.scope as string), [role.rol_id]);
      assert.equal(claims.name, "Ada");
      assert.equal(claims.img, "https://x/ada.png");
      assert.ok((claims.refresh_exp as number) > (claims.exp as number));
      // the tokens are HS256 JWTs of the org, as docs/emulator.md says
      const access = await verified(claims.access_token);
      assert.deepEqual(
        { sub: access.sub, type: access.type, org_id: access.org_id, scope: access.scope },
        { sub: user.uid, type: "access", org_id: ORG.orgId, scope: JSON.stringify([role.rol_id]) },
      );
      const refresh = await verified(claims.refresh_token);
      assert.equal(refresh.type, "refresh");
      const v = await call("GET", "/api/user/me/auth/validate/token", {
        AccessToken: claims.access_token as string,
      });
      assert.equal(v.status, 200);
    });
  });

  test("GET /api/user/me/auth/data accepts a code once and never after it expires", async () => {
    await withEmulator(async (emu, call) => {
      const code = emu.mintCode({ email: "bob@example.com" });
      assert.equal((await call("GET", "/api/user/me/auth/data", { UserToken: code })).status, 200);
      assertDetail(await call("GET", "/api/user/me/auth/data", { UserToken: code }), 401);
      const late = emu.mintCode({ email: "bob@example.com" });
      emu.advanceClock(301);
      assertDetail(await call("GET", "/api/user/me/auth/data", { UserToken: late }), 401);
      assertDetail(await call("GET", "/api/user/me/auth/data", { UserToken: "garbage" }), 401);
    });
  });

  test("GET /api/user/me/widget/re-auth/token answers fresh signed tokens for a code", async () => {
    await withEmulator(async (emu, call) => {
      const { uid } = emu.session({ email: "cy@example.com" });
      const r = await call("GET", "/api/user/me/widget/re-auth/token", {
        code: emu.mintCode({ uid }),
      });
      assert.equal(r.status, 200);
      const claims = await verified(r.body);
      assert.equal(JSON.parse(claims.sub as string).uid, uid);
      assert.equal((await verified(claims.access_token)).sub, uid);
      assert.equal((await verified(claims.refresh_token)).type, "refresh");
    });
  });

  test("GET /api/user/me/data answers the signed user data for an access token", async () => {
    await withEmulator(async (emu, call) => {
      emu.seedUser({ email: "di@example.com", name: "Di", img: "https://x/di.png" });
      const s = emu.session({ email: "di@example.com" });
      const r = await call("GET", "/api/user/me/data", { AccessToken: s.accessToken });
      const claims = await verified(r.body);
      assert.deepEqual([claims.uid, claims.email, claims.img, claims.name], [
        s.uid,
        "di@example.com",
        "https://x/di.png",
        "Di",
      ]);
      assertDetail(await call("GET", "/api/user/me/data", { AccessToken: s.refreshToken }), 401);
    });
  });

  test("GET /api/user/me/access/token/ rotates the refresh token", async () => {
    await withEmulator(async (emu, call) => {
      const s = emu.session({ email: "eve@example.com" });
      const r = await call("GET", "/api/user/me/access/token/", { RefreshToken: s.refreshToken });
      assert.equal(r.status, 200);
      const pair = r.body as { access_token: string; refresh_token: string };
      assert.equal(typeof pair.access_token, "string");
      assert.notEqual(pair.refresh_token, s.refreshToken);
      assert.equal(
        (await call("GET", "/api/user/me/auth/validate/token", { AccessToken: pair.access_token }))
          .status,
        200,
      );
      assertDetail(
        await call("GET", "/api/user/me/access/token/", { RefreshToken: s.refreshToken }),
        401,
      );
      assertDetail(
        await call("GET", "/api/user/me/access/token/", { RefreshToken: s.accessToken }),
        401,
      );
      assert.equal(
        (await call("GET", "/api/user/me/access/token/", { RefreshToken: pair.refresh_token }))
          .status,
        200,
      );
    });
  });

  test("GET /api/user/me/auth/validate/token answers 401 once the clock passes the expiry", async () => {
    await withEmulator(async (emu, call) => {
      const s = emu.session({ email: "fay@example.com" });
      const ok = await call("GET", "/api/user/me/auth/validate/token", {
        AccessToken: s.accessToken,
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body, { valid: true });
      emu.advanceClock(61);
      assertDetail(
        await call("GET", "/api/user/me/auth/validate/token", { AccessToken: s.accessToken }),
        401,
      );
      // the refresh token outlives it
      const r = await call("GET", "/api/user/me/access/token/", { RefreshToken: s.refreshToken });
      assert.equal(r.status, 200);
      emu.advanceClock(121);
      const again = emu.session({ uid: s.uid });
      emu.advanceClock(121);
      assertDetail(
        await call("GET", "/api/user/me/access/token/", { RefreshToken: again.refreshToken }),
        401,
      );
      assertDetail(
        await call("GET", "/api/user/me/auth/validate/token", { AccessToken: "not.a.jwt" }),
        401,
      );
    }, { accessTokenTtlSeconds: 60, refreshTokenTtlSeconds: 120 });
  });

  test("DELETE /api/user/me/token/ revokes one access token, one refresh token, or all", async () => {
    await withEmulator(async (emu, call) => {
      const a = emu.session({ email: "gus@example.com" });
      const b = emu.session({ uid: a.uid });
      const valid = async (t: string) =>
        (await call("GET", "/api/user/me/auth/validate/token", { AccessToken: t })).status === 200;

      const one = await call("DELETE", "/api/user/me/token/", {
        Token: a.accessToken,
        AccessToken: "true",
        SpecificTokenOnly: "true",
      });
      assert.equal(one.status, 200);
      assert.equal(one.body, true);
      assert.equal(await valid(a.accessToken), false);
      assert.equal(await valid(b.accessToken), true);

      const ref = await call("DELETE", "/api/user/me/token/", {
        Token: a.refreshToken,
        AccessToken: "False",
        SpecificTokenOnly: "True",
      });
      assert.equal(ref.body, true);
      assertDetail(
        await call("GET", "/api/user/me/access/token/", { RefreshToken: a.refreshToken }),
        401,
      );

      assertDetail(
        await call("DELETE", "/api/user/me/token/", {
          Token: b.refreshToken,
          AccessToken: "true",
          SpecificTokenOnly: "true",
        }),
        400,
      );
      const all = await call("DELETE", "/api/user/me/token/", {
        Token: b.accessToken,
        AccessToken: "True",
        SpecificTokenOnly: "False",
      });
      assert.equal(all.body, true);
      assert.equal(await valid(b.accessToken), false);
      assertDetail(
        await call("GET", "/api/user/me/access/token/", { RefreshToken: b.refreshToken }),
        401,
      );
      assertDetail(
        await call("DELETE", "/api/user/me/token/", { Token: "garbage", AccessToken: "true" }),
        401,
      );
    });
  });

  test("every API call checks api_key and signed_key", async () => {
    await withEmulator(async (emu, call) => {
      const s = emu.session({ email: "hal@example.com" });
      const p = { AccessToken: s.accessToken };
      for (
        const bad of [{ signed_key: "" }, { api_key: "" }, { signed_key: "x.y.z" }, {
          api_key: "key_other",
        }]
      ) {
        const r = await call("GET", "/api/user/me/auth/validate/token", { ...p, ...bad });
        assertDetail(r, 401);
        assert.equal(r.headers.get("X-EDGE"), null);
      }
      const forged = await new SignJWT({ api_key: ORG.apiKey })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(new TextEncoder().encode("another-secret"));
      assertDetail(await call("GET", "/rbac/role", { signed_key: forged }), 401);
      const same = await new SignJWT({ api_key: ORG.apiKey }).setProtectedHeader({
        alg: "HS256",
        typ: "JWT",
      }).sign(SECRET);
      assert.equal(same, SIGNED_KEY);
      assert.equal((await call("GET", "/rbac/role", { signed_key: same })).status, 200);
    });
  });

  test("/rbac routes require the org_id of the API key", async () => {
    await withEmulator(async (_emu, call) => {
      assertDetail(await call("GET", "/rbac/role", { org_id: "org_other" }), 403);
      assertDetail(await call("GET", "/rbac/role", { org_id: "" }), 403);
      assertDetail(
        await call("POST", "/rbac/role", {}, { org_id: "org_other", name: "x", permissions: [] }),
        403,
      );
    });
  });

  test("a token of one organisation is refused by another", async () => {
    const other = {
      orgId: "org_b",
      apiKey: "key_b",
      secretKey: "secret-b-0123456789",
      callbackUrl: "http://127.0.0.1:9/b",
    };
    await withEmulator(async (emu, call) => {
      const s = emu.session({ orgId: "org_b", email: "ivy@example.com" });
      assertDetail(
        await call("GET", "/api/user/me/auth/validate/token", { AccessToken: s.accessToken }),
        401,
      );
    }, { orgs: [ORG, other] });
  });

  test("GET /rbac/role has no X-EDGE, so the official Python connector's reload ends", async () => {
    // The connector (trustauthx, module authlite) keeps `count` of roles; on a reply whose
    // X-EDGE differs it reloads with GET /rbac/role and sets `count` only after that reload
    // returns. Its reload goes through the same reply hook, so an X-EDGE on the list itself
    // re-enters the reload until Python's RecursionError. This models that logic exactly.
    await withEmulator(async (_emu, call) => {
      let count = 0;
      let depth = 0;
      let maxDepth = 0;
      const onReply = async (r: Reply): Promise<void> => {
        const edge = r.headers.get("X-EDGE");
        if (edge !== null && Number(edge) !== count) await reload();
      };
      const reload = async (): Promise<void> => {
        depth++;
        maxDepth = Math.max(maxDepth, depth);
        if (depth > 50) throw new Error("RecursionError: maximum recursion depth exceeded");
        const list = await call("GET", "/rbac/role");
        await onReply(list);
        count = (list.body as unknown[]).length;
        depth--;
      };
      await reload();
      // A role change: its reply says X-EDGE: 1, the stored count is 0, so it reloads once.
      const added = await call("POST", "/rbac/role", {}, {
        org_id: ORG.orgId,
        name: "editor",
        permissions: [{ doc: "write" }],
      });
      assert.equal(added.headers.get("X-EDGE"), "1");
      await onReply(added);
      assert.equal(count, 1);
      assert.equal(maxDepth, 1);
    });
  });

  test("/rbac/role and /rbac/permission create, list, change and delete roles", async () => {
    await withEmulator(async (_emu, call) => {
      const empty = await call("GET", "/rbac/role");
      assert.deepEqual(empty.body, []);
      // The role list carries no X-EDGE (see the next test); every other reply does.
      assert.equal(empty.headers.get("X-EDGE"), null);
      const add = await call("POST", "/rbac/role", {}, {
        org_id: ORG.orgId,
        name: "editor",
        permissions: [{ doc: "write" }, { viewer: "read" }],
      });
      assert.equal(add.status, 200);
      assert.equal(add.headers.get("X-EDGE"), "1");
      const role = add.body as {
        org_id: string;
        rol_id: string;
        name: string;
        permissions: unknown;
      };
      assert.equal(role.org_id, ORG.orgId);
      assert.equal(role.name, "editor");
      assert.deepEqual(role.permissions, [{ doc: "write" }, { viewer: "read" }]);
      assert.deepEqual((await call("GET", "/rbac/role")).body, [role]);

      const perm = await call("POST", "/rbac/permission", {}, {
        org_id: ORG.orgId,
        rol_id: role.rol_id,
        permissions: [{ admin: "all" }],
      });
      assert.deepEqual(perm.body, {
        org_id: ORG.orgId,
        rol_id: role.rol_id,
        permissions: [{ admin: "all" }],
      });
      const del = await call("DELETE", "/rbac/permission", {}, {
        org_id: ORG.orgId,
        rol_id: role.rol_id,
        permissions: [{ viewer: "read" }],
      });
      assert.deepEqual(del.body, {
        org_id: ORG.orgId,
        rol_id: role.rol_id,
        permissions: [{ doc: "write" }, { admin: "all" }],
      });

      for (
        const [m, p] of [["DELETE", "/rbac/role"], ["POST", "/rbac/permission"], [
          "DELETE",
          "/rbac/permission",
        ]] as const
      ) {
        assertDetail(
          await call(m, p, {}, {
            org_id: ORG.orgId,
            rol_id: "rol_nope",
            permissions: [{ a: "b" }],
          }),
          404,
        );
      }
      const gone = await call("DELETE", "/rbac/role", {}, {
        org_id: ORG.orgId,
        rol_id: role.rol_id,
      });
      assert.equal((gone.body as { rol_id: string }).rol_id, role.rol_id);
      assert.equal(gone.headers.get("X-EDGE"), "0");
      assert.deepEqual((await call("GET", "/rbac/role")).body, []);
    });
  });

  test("POST /rbac/assign/permission adds and removes roles, from lists or bare ids", async () => {
    await withEmulator(async (emu, call) => {
      const a = emu.seedRole({ name: "a", permissions: [{ x: "1" }] });
      const b = emu.seedRole({ name: "b", permissions: [{ y: "2" }] });
      const u = emu.seedUser({ email: "jo@example.com" });
      const body = (rol: unknown, inplace: unknown) => ({
        uid: u.uid,
        rol_id: rol,
        inplace,
        signoff_session_and_assign: false,
        AccessToken: null,
        RefreshToken: null,
      });
      assert.deepEqual(
        (await call("POST", "/rbac/assign/permission", {}, body(a.rol_id, []))).body,
        { uid: u.uid, role: [a.rol_id] },
      );
      assert.deepEqual(
        (await call("POST", "/rbac/assign/permission", {}, body([b.rol_id], a.rol_id))).body,
        { uid: u.uid, role: [b.rol_id] },
      );
      // all or nothing: an unknown role changes nothing
      assertDetail(
        await call("POST", "/rbac/assign/permission", {}, body([a.rol_id, "rol_nope"], [])),
        404,
      );
      assertDetail(
        await call("POST", "/rbac/assign/permission", {}, {
          ...body([a.rol_id], []),
          uid: "uid_nope",
        }),
        404,
      );
      assert.deepEqual((await call("POST", "/rbac/assign/permission", {}, body([], []))).body, {
        uid: u.uid,
        role: [b.rol_id],
      });
    });
  });

  test("POST /rbac/assign/permission with sign-off re-issues the session with the new roles", async () => {
    await withEmulator(async (emu, call) => {
      const a = emu.seedRole({ name: "a", permissions: [{ x: "1" }] });
      const s = emu.session({ email: "kim@example.com" });
      const other = emu.session({ email: "lee@example.com" });
      const body = {
        uid: s.uid,
        rol_id: [a.rol_id],
        inplace: [],
        signoff_session_and_assign: true,
        AccessToken: s.accessToken,
        RefreshToken: s.refreshToken,
      };
      assertDetail(
        await call("POST", "/rbac/assign/permission", {}, { ...body, RefreshToken: null }),
        400,
      );
      assertDetail(
        await call("POST", "/rbac/assign/permission", {}, {
          ...body,
          RefreshToken: other.refreshToken,
        }),
        403,
      );
      assertDetail(
        await call("POST", "/rbac/assign/permission", {}, { ...body, AccessToken: s.refreshToken }),
        401,
      );
      const r = await call("POST", "/rbac/assign/permission", {}, body);
      assert.equal(r.status, 200);
      const out = r.body as {
        uid: string;
        access_token: string;
        refresh_token: string;
        role: string[];
      };
      assert.equal(out.uid, s.uid);
      assert.deepEqual(out.role, [a.rol_id]);
      assert.equal((await verified(out.access_token)).scope, JSON.stringify([a.rol_id]));
      const status = async (t: string) =>
        (await call("GET", "/api/user/me/auth/validate/token", { AccessToken: t })).status;
      assert.equal(await status(s.accessToken), 401);
      assert.equal(await status(out.access_token), 200);
      assert.equal(await status(other.accessToken), 200);
      assertDetail(
        await call("GET", "/api/user/me/access/token/", { RefreshToken: s.refreshToken }),
        401,
      );
    });
  });

  test("bad input gets a 4xx JSON detail, never a 500", async () => {
    await withEmulator(async (emu, call, base) => {
      const s = emu.session({ email: "max@example.com" });
      const cases: Array<[Reply, number]> = [
        [await call("POST", "/rbac/role", {}, "{not json"), 400],
        [await call("POST", "/rbac/role", {}, "[1,2]"), 400],
        [await call("POST", "/rbac/role", {}, ""), 400],
        [await call("POST", "/rbac/role", {}, { name: "x", permissions: { a: "b" } }), 400],
        [await call("POST", "/rbac/role", {}, { name: "x", permissions: [{ a: 1 }] }), 400],
        [await call("POST", "/rbac/role", {}, { permissions: [] }), 400],
        [await call("DELETE", "/rbac/role", {}, {}), 400],
        [await call("POST", "/rbac/assign/permission", {}, { uid: s.uid, rol_id: 5 }), 400],
        [
          await call("POST", "/rbac/assign/permission", {}, {
            uid: s.uid,
            signoff_session_and_assign: "yes",
          }),
          400,
        ],
        [await call("GET", "/api/user/me/auth/data"), 400],
        [await call("GET", "/api/user/me/auth/validate/token"), 400],
        [
          await call("DELETE", "/api/user/me/token/", { Token: s.accessToken, AccessToken: "yes" }),
          400,
        ],
        [await call("GET", "/api/user/me/access/token"), 404],
        [await call("GET", "/nope"), 404],
        [await call("PUT", "/rbac/role"), 405],
        [await call("POST", "/api/user/me/auth/validate/token"), 405],
      ];
      for (const [r, status] of cases) assertDetail(r, status);
      const allow = await fetch(`${base}/rbac/role`, { method: "PATCH" });
      assert.equal(allow.status, 405);
      assert.match(allow.headers.get("Allow") ?? "", /GET/);
      await allow.body?.cancel();
      assert.deepEqual((await call("GET", "/rbac/role")).body, []);
    });
  });
});

describe("emulator against the official Python connector's requests", () => {
  interface Vector {
    operation: string;
    method: string;
    path: string;
    query: Array<[string, string]>;
    content_type: string | null;
    accept: string;
    body: string;
  }
  // The vectors live in the repository (tests/vectors/) or, in the shared workspace, beside it.
  const loadVectors = async (): Promise<Vector[]> => {
    let text = "";
    for (
      const rel of [
        "./vectors/official-python-wire.jsonl",
        "../../shared/vectors/official-python-wire.jsonl",
      ]
    ) {
      try {
        text = await readFile(new URL(rel, import.meta.url), "utf8");
        break;
      } catch {
        // try the next place
      }
    }
    return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Vector);
  };

  test("createEmulator() understands every request of the vectors, with placeholders made real", async () => {
    const vectors = await loadVectors();
    assert.ok(vectors.length >= 20, "the vectors are readable");
    await withEmulator(async (emu, _call, base) => {
      emu.seedRole({ rolId: "rol_A", name: "viewer", permissions: [{ viewer: "read" }] });
      emu.seedRole({ rolId: "rol_B", name: "writer", permissions: [{ doc: "write" }] });
      emu.seedUser({ uid: "uid_1", email: "one@example.com" });
      for (const v of vectors) {
        const s = emu.session({ uid: "uid_1" });
        const real: Record<string, string> = {
          code_1: emu.mintCode({ uid: "uid_1" }),
          user_tok: emu.mintCode({ uid: "uid_1" }),
          acc_tok: s.accessToken,
          valid_access: s.accessToken,
          ref_tok: s.refreshToken,
        };
        const url = new URL(v.path, base);
        for (const [k, val] of v.query) {
          if (k === "signed_key") assert.equal(val, SIGNED_KEY);
          url.searchParams.append(k, real[val] ?? val);
        }
        const headers: Record<string, string> = { accept: v.accept };
        if (v.content_type) headers["content-type"] = v.content_type;
        const body = v.body === "" ? undefined : JSON.stringify(
          JSON.parse(v.body),
          (_k, x) => (typeof x === "string" && real[x] !== undefined ? real[x] : x),
        );
        const res = await fetch(url, { method: v.method, headers, ...(body ? { body } : {}) });
        const text = await res.text();
        const expected = v.operation.includes("bad_access") ? 401 : 200;
        assert.equal(res.status, expected, `${v.operation}: ${text}`);
        assert.doesNotThrow(() => JSON.parse(text), v.operation);
        if (v.method === "GET" && v.path === "/rbac/role") {
          assert.equal(res.headers.get("X-EDGE"), null, v.operation);
        } else {
          assert.match(res.headers.get("X-EDGE") ?? "", /^\d+$/, v.operation);
        }
      }
      const roles = await (await fetch(
        `${base}/rbac/role?org_id=org_test_1&api_key=key_test_1&signed_key=${SIGNED_KEY}`,
      )).json();
      assert.deepEqual(
        roles.map((r: { rol_id: string }) => r.rol_id).filter((id: string) =>
          id.startsWith("rol_") && id.length === 5
        ),
        ["rol_A"],
      );
    });
  });

  test("createEmulator() refuses every request of the vectors without a valid signed_key", async () => {
    const vectors = await loadVectors();
    await withEmulator(async (_emu, _call, base) => {
      for (const v of vectors) {
        const url = new URL(v.path, base);
        for (const [k, val] of v.query) {
          url.searchParams.append(k, k === "signed_key" ? `${val}x` : val);
        }
        const res = await fetch(url, {
          method: v.method,
          headers: { "content-type": "application/json" },
          ...(v.body ? { body: v.body } : {}),
        });
        assert.equal(res.status, 401, v.operation);
        assert.equal(typeof (await res.json()).detail, "string");
      }
    });
  });
});

test("decodeJwt() reads the emulator's access token claims of docs/emulator.md", () => {
  const emu = createEmulator({ orgs: [ORG], now: () => 1_700_000_000_000 });
  const { accessToken, refreshToken, uid } = emu.session({ email: "ned@example.com" });
  const a = decodeJwt(accessToken);
  assert.deepEqual(
    { sub: a.sub, type: a.type, iat: a.iat, exp: a.exp, org_id: a.org_id, scope: a.scope },
    {
      sub: uid,
      type: "access",
      iat: 1_700_000_000,
      exp: 1_700_003_600,
      org_id: ORG.orgId,
      scope: "[]",
    },
  );
  assert.equal(typeof a.jti, "string");
  assert.equal(decodeJwt(refreshToken).exp, 1_700_000_000 + 2_592_000);
});
