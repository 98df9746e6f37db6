// Wire conformance: every request the official Python connector sends
// (vectors/official-python-wire.jsonl), replayed through the client with an
// injected fetch; the client must send the same method, path, query, headers
// and body, except for the connector's documented faults (bare strings in
// rol_id/inplace become lists; True/False become lowercase).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { AuthLiteClient, FetchLike } from "../mod.ts";
import {
  fakeClient,
  fakeFetch,
  jsonReply,
  type RecordedRequest,
  sessionClaims,
  signClaims,
  TEST_SIGNED_KEY,
} from "./_client_helpers.ts";

interface Vector {
  operation: string;
  method: string;
  path: string;
  query: [string, string][];
  content_type: string | null;
  accept: string;
  body: string;
}

// A verbatim copy of /work/shared/vectors/official-python-wire.jsonl.
const VECTORS = new URL("./vectors/official-python-wire.jsonl", import.meta.url);

function loadVectors(): Vector[] {
  const text = readFileSync(VECTORS, "utf8");
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

const SIGNOFF = { signoffSessionAndAssign: true, accessToken: "acc_tok", refreshToken: "ref_tok" };

/** How our client performs each operation of the vectors: [our call, the call]. */
const OPERATIONS: Record<string, [string, (client: AuthLiteClient) => Promise<unknown>]> = {
  "constructor: list roles": ["roles.getAllRoles()", (c) => c.roles.getAllRoles()],
  "re_auth(code_1)": ["reAuth()", (c) => c.reAuth("code_1")],
  "get_user(user_tok)": ["getUser()", (c) => c.getUser("user_tok")],
  "get_user_data(acc_tok)": ["getUserData()", (c) => c.getUserData("acc_tok")],
  "get_access_token_from_refresh_token(ref_tok)": [
    "getAccessTokenFromRefreshToken()",
    (c) => c.getAccessTokenFromRefreshToken("ref_tok"),
  ],
  "validate_access_token(valid_access)": [
    "validateAccessToken()",
    (c) => c.validateAccessToken("valid_access"),
  ],
  "validate_access_token(bad_access)": [
    "validateAccessToken()",
    (c) => c.validateAccessToken("bad_access"),
  ],
  "revoke_token(AccessToken=acc_tok)": [
    "revokeToken({accessToken})",
    (c) => c.revokeToken({ accessToken: "acc_tok" }),
  ],
  "revoke_token(RefreshToken=ref_tok)": [
    "revokeToken({refreshToken})",
    (c) => c.revokeToken({ refreshToken: "ref_tok" }),
  ],
  "revoke_token(AccessToken=acc_tok, revoke_all_tokens=True)": [
    "revokeToken({accessToken, revokeAllTokens})",
    (c) => c.revokeToken({ accessToken: "acc_tok", revokeAllTokens: true }),
  ],
  "validate_token_set(valid_access, ref_tok): validate": [
    "validateTokenSet()",
    (c) => c.validateTokenSet("valid_access", "ref_tok"),
  ],
  "validate_token_set(bad_access, ref_tok): validate (then it gives up: the connector's bug)": [
    "validateTokenSet()",
    (c) => c.validateTokenSet("bad_access", "ref_tok"),
  ],
  "attach_role(uid_1, rol_A)": ["attachRole()", (c) => c.attachRole("uid_1", "rol_A")],
  "attach_role(uid_1, [rol_A, rol_B], signoff, tokens)": [
    "attachRole() with sign-off",
    (c) => c.attachRole("uid_1", ["rol_A", "rol_B"], SIGNOFF),
  ],
  "remove_role(uid_1, rol_A)": ["removeRole()", (c) => c.removeRole("uid_1", "rol_A")],
  "update_role(uid_1, [rol_B], [rol_A], signoff, tokens)": [
    "updateRole() with sign-off",
    (c) => c.updateRole("uid_1", ["rol_B"], ["rol_A"], SIGNOFF),
  ],
  "Roles.get_all_roles()": ["roles.getAllRoles()", (c) => c.roles.getAllRoles()],
  "Roles.add_role(editor, doc=write)": [
    "roles.addRole()",
    (c) => c.roles.addRole("editor", { doc: "write" }),
  ],
  "Roles.delete_role(rol_B)": ["roles.deleteRole()", (c) => c.roles.deleteRole("rol_B")],
  "Roles.add_permission(rol_A, doc=write)": [
    "roles.addPermission()",
    (c) => c.roles.addPermission("rol_A", { doc: "write" }),
  ],
  "Roles.delete_permission(rol_A, viewer=read)": [
    "roles.deletePermission()",
    (c) => c.roles.deletePermission("rol_A", { viewer: "read" }),
  ],
};

/** A plausible upstream reply to each request, so that every operation completes. */
async function upstream(req: RecordedRequest): Promise<Response> {
  const q = req.url.searchParams;
  const body = req.body === "" ? {} : JSON.parse(req.body);
  switch (`${req.method} ${req.url.pathname}`) {
    case "GET /api/user/me/widget/re-auth/token":
    case "GET /api/user/me/auth/data":
      return jsonReply(await signClaims(sessionClaims()));
    case "GET /api/user/me/data":
      return jsonReply(await signClaims({ uid: "uid_1", email: "ada@example.com", img: null }));
    case "GET /api/user/me/access/token/":
      return jsonReply({ access_token: "acc_new", refresh_token: "ref_new" });
    case "GET /api/user/me/auth/validate/token":
      return q.get("AccessToken") === "valid_access"
        ? jsonReply({ valid: true })
        : jsonReply({ detail: "Invalid token" }, 401);
    case "DELETE /api/user/me/token/":
      return jsonReply(true);
    case "GET /rbac/role":
      return jsonReply([]);
    case "POST /rbac/role":
    case "DELETE /rbac/role":
      return jsonReply({
        org_id: "org_test_1",
        rol_id: body.rol_id ?? "rol_B",
        name: body.name ?? "editor",
        permissions: body.permissions ?? [],
      });
    case "POST /rbac/permission":
    case "DELETE /rbac/permission":
      return jsonReply({ org_id: "org_test_1", rol_id: body.rol_id, permissions: [] });
    case "POST /rbac/assign/permission":
      return jsonReply(
        body.signoff_session_and_assign
          ? { uid: body.uid, access_token: "acc_new", refresh_token: "ref_new", role: ["rol_B"] }
          : { uid: body.uid, role: ["rol_A"] },
      );
  }
  return jsonReply({ detail: "Not found" }, 404);
}

/** The request a correct client sends: the vector, with the connector's faults fixed. */
function expected(vector: Vector): { query: [string, string][]; body: unknown } {
  const query = vector.query.map(([name, value]): [string, string] => [
    name,
    value === "True" ? "true" : value === "False" ? "false" : value,
  ]);
  if (vector.body === "") return { query, body: undefined };
  const body = JSON.parse(vector.body);
  if (vector.path === "/rbac/assign/permission") {
    for (const field of ["rol_id", "inplace"]) {
      if (typeof body[field] === "string") body[field] = [body[field]];
    }
  }
  return { query, body };
}

const vectors = loadVectors();

test("OPERATIONS maps every operation of the wire vectors", () => {
  assert.ok(vectors.length >= 21);
  for (const v of vectors) assert.ok(OPERATIONS[v.operation], `unmapped: ${v.operation}`);
  assert.ok(
    vectors.every((v) => v.query.some(([k, s]) => k === "signed_key" && s === TEST_SIGNED_KEY)),
  );
});

for (const vector of vectors) {
  const [call, run] = OPERATIONS[vector.operation] ?? ["unmapped", () => Promise.resolve()];
  test(`${call} sends what ${vector.operation.split(":")[0]} sends, faults fixed`, async () => {
    const { client, calls } = fakeClient(upstream);
    await run(client);
    assert.ok(calls.length >= 1);
    // validateTokenSet(bad_access) goes on to refresh (the connector gave up): compare the first.
    const sent = calls[0]!;
    const want = expected(vector);
    assert.equal(sent.method, vector.method);
    assert.equal(sent.url.pathname, vector.path);
    assert.deepEqual([...sent.url.searchParams], want.query);
    assert.equal(sent.headers.get("accept"), vector.accept);
    assert.equal(sent.headers.get("content-type"), vector.content_type);
    if (want.body === undefined) assert.equal(sent.body, "");
    else assert.deepEqual(JSON.parse(sent.body), want.body);
  });
}

test("validateTokenSet() refreshes where the connector gave up", async () => {
  const { client, calls } = fakeClient(upstream);
  const check = await client.validateTokenSet("bad_access", "ref_tok");
  assert.deepEqual(check, { state: false, access: "acc_new", refresh: "ref_new" });
  assert.deepEqual(
    calls.map((c) => c.url.pathname),
    ["/api/user/me/auth/validate/token", "/api/user/me/access/token/"],
  );
});

test("revokeToken() with both tokens revokes each, lowercase booleans", async () => {
  const { client, calls } = fakeClient(upstream);
  assert.equal(await client.revokeToken({ accessToken: "acc_tok", refreshToken: "ref_tok" }), true);
  assert.deepEqual(
    calls.map((c) => [c.url.searchParams.get("Token"), c.url.searchParams.get("AccessToken")]),
    [["acc_tok", "true"], ["ref_tok", "false"]],
  );
});

test("new AuthLiteClient() sends nothing", async () => {
  // Counted when fetch is called, before any await (fakeFetch records a call only
  // after reading its body).
  let sent = 0;
  const recorded = fakeFetch(upstream);
  const fetch: FetchLike = (input, init) => {
    sent++;
    return recorded.fetch(input, init);
  };
  const { client } = fakeClient(upstream, { fetch });
  assert.equal(sent, 0, "the constructor called fetch");
  // Anything the constructor started in the background (after signing, say) has
  // its turn before the client's first request: that request must be the only one.
  assert.equal(await client.validateAccessToken("valid_access"), true);
  assert.equal(sent, 1);
  assert.deepEqual(recorded.calls.map((c) => c.url.pathname), [
    "/api/user/me/auth/validate/token",
  ]);
});
