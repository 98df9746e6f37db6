// Bad input and configuration: a typed error before any request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteClient, AuthLiteInputError } from "../mod.ts";
import type { AuthLiteClientOptions } from "../mod.ts";
import {
  assertNoSecrets,
  fakeClient,
  jsonReply,
  rejectsWith,
  TEST_CREDENTIALS,
} from "./_client_helpers.ts";

/** A client whose fetch counts calls (and would answer 200 to anything). */
function counting(extra: Partial<AuthLiteClientOptions> = {}) {
  return fakeClient(() => jsonReply(true), extra);
}

test("new AuthLiteClient() rejects missing or invalid options: ERR_CONFIG", () => {
  const bad: unknown[] = [
    undefined,
    {},
    { apiKey: "k" },
    { secretKey: "s" },
    { apiKey: "", secretKey: "s" },
    { apiKey: "k", secretKey: "  " },
    { apiKey: "k", secretKey: "s", orgId: "" },
    { apiKey: "k", secretKey: "s", baseUrl: "not a url" },
    { apiKey: "k", secretKey: "s", baseUrl: "ftp://x.test" },
    { apiKey: "k", secretKey: "s", baseUrl: "https://x.test/?a=1" },
    { apiKey: "k", secretKey: "s", widgetUrl: 42 },
    { apiKey: "k", secretKey: "s", timeoutMs: 0 },
    { apiKey: "k", secretKey: "s", timeoutMs: -1 },
    { apiKey: "k", secretKey: "s", timeoutMs: Number.NaN },
    { apiKey: "k", secretKey: "s", retries: 1.5 },
    { apiKey: "k", secretKey: "s", retries: -1 },
    { apiKey: "k", secretKey: "s", fetch: "fetch" },
    { apiKey: "k", secretKey: "s", tokenCache: {} },
  ];
  for (const options of bad) {
    assert.throws(
      () => new AuthLiteClient(options as AuthLiteClientOptions),
      (err: unknown) => err instanceof AuthLiteInputError && err.code === "ERR_CONFIG",
      JSON.stringify(options),
    );
  }
});

test("new AuthLiteClient() never puts the secret in a configuration error", () => {
  let seen = 0;
  for (
    const options of [
      { apiKey: "", secretKey: TEST_CREDENTIALS.secretKey },
      { apiKey: TEST_CREDENTIALS.apiKey, secretKey: TEST_CREDENTIALS.secretKey, timeoutMs: 0 },
      { apiKey: TEST_CREDENTIALS.apiKey, secretKey: TEST_CREDENTIALS.secretKey, baseUrl: "x" },
    ]
  ) {
    assert.throws(() => new AuthLiteClient(options), (err: unknown) => {
      assert.ok(err instanceof AuthLiteInputError, String(err));
      assert.equal(err.code, "ERR_CONFIG");
      assertNoSecrets(err, [TEST_CREDENTIALS.secretKey, TEST_CREDENTIALS.apiKey]);
      seen++;
      return true;
    });
  }
  assert.equal(seen, 3);
});

test("generateUrl() without orgId: ERR_CONFIG", () => {
  const { client, calls } = counting({ orgId: undefined });
  assert.throws(
    () => client.generateUrl(),
    (err: unknown) => err instanceof AuthLiteInputError && err.code === "ERR_CONFIG",
  );
  assert.equal(calls.length, 0);
});

test("generateUrl() and generateEditUserUrl() build the documented URLs without a request", async () => {
  const { client, calls } = counting({ widgetUrl: "https://acme.app.trustauthx.com/" });
  assert.equal(
    client.generateUrl(),
    "https://acme.app.trustauthx.com/widget/login/?org_id=org_test_1",
  );
  const url = new URL(await client.generateEditUserUrl("acc tok", "https://app.test/back?x=1"));
  assert.equal(url.origin + url.pathname, "https://upstream.test/api/user/me/settings/");
  assert.deepEqual([...url.searchParams], [
    ["AccessToken", "acc tok"],
    ["api_key", "key_test_1"],
    ["signed_key", (await import("./_client_helpers.ts")).TEST_SIGNED_KEY],
    ["url", "https://app.test/back?x=1"],
  ]);
  assert.ok(!url.search.includes("https://app"), "the redirect URL is encoded");
  assert.equal(calls.length, 0);
});

test("rbac operations without orgId: ERR_CONFIG, no request", async () => {
  const { client, calls } = counting({ orgId: undefined });
  const ops: Array<() => Promise<unknown>> = [
    () => client.roles.getAllRoles(),
    () => client.roles.addRole("editor", { doc: "write" }),
    () => client.roles.deleteRole("rol_A"),
    () => client.roles.addPermission("rol_A", { doc: "write" }),
    () => client.roles.deletePermission("rol_A", { doc: "write" }),
    () => client.roles.query({ roleId: "rol_A" }),
    () => client.roles.validate("rol_A", "doc", "write"),
    () => client.roles.count(),
    () => client.attachRole("uid_1", "rol_A"),
    () => client.removeRole("uid_1", "rol_A"),
    () => client.updateRole("uid_1", ["rol_B"], ["rol_A"]),
  ];
  for (const op of ops) await rejectsWith(op(), "ERR_CONFIG");
  assert.equal(calls.length, 0);
});

test("user and token operations with empty or missing arguments: ERR_BAD_INPUT, no request", async () => {
  const { client, calls } = counting();
  const any = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const ops: Array<() => Promise<unknown>> = [
    () => client.reAuth(""),
    () => client.getUser(""),
    () => client.getUser("   "),
    () => any.getUser!.call(client, undefined),
    () => any.getUserData!.call(client, 42),
    () => client.getUserData(""),
    () => client.getAccessTokenFromRefreshToken(""),
    () => client.validateAccessToken(""),
    () => client.validateTokenSet(""),
    () => client.validateTokenSet("acc", ""),
    () => client.revokeToken({}),
    () => client.revokeToken({ accessToken: "" }),
    () => client.revokeToken({ refreshToken: "" }),
    () => client.revokeToken({ accessToken: "a", revokeAllTokens: "yes" as unknown as boolean }),
    () => any.revokeToken!.call(client, undefined),
    () => client.generateEditUserUrl("", "https://app.test/"),
    () => client.generateEditUserUrl("acc", ""),
    () => client.generateEditUserUrl("acc", "not a url"),
    // TrustAuthX sends the browser to this URL with a code: never a script or a file.
    () => client.generateEditUserUrl("acc", "javascript:alert(document.cookie)"),
    () => client.generateEditUserUrl("acc", "data:text/html,<script>x</script>"),
    () => client.generateEditUserUrl("acc", "file:///etc/passwd"),
  ];
  for (const op of ops) await rejectsWith(op(), "ERR_BAD_INPUT");
  assert.equal(calls.length, 0);
});

test("attachRole(), removeRole(), updateRole() with bad input: ERR_BAD_INPUT, no request", async () => {
  const { client, calls } = counting();
  const ops: Array<() => Promise<unknown>> = [
    () => client.attachRole("", "rol_A"),
    () => client.attachRole("uid_1", ""),
    () => client.attachRole("uid_1", []),
    () => client.attachRole("uid_1", ["rol_A", ""]),
    () => client.attachRole("uid_1", 7 as unknown as string),
    () => client.removeRole("uid_1", []),
    () => client.updateRole("uid_1", [], []),
    () => client.updateRole("uid_1", [""], ["rol_A"]),
    // sign-off needs both tokens
    () => client.attachRole("uid_1", "rol_A", { signoffSessionAndAssign: true }),
    () => client.attachRole("uid_1", "rol_A", { signoffSessionAndAssign: true, accessToken: "a" }),
    () => client.removeRole("uid_1", "rol_A", { signoffSessionAndAssign: true, refreshToken: "r" }),
    () =>
      client.updateRole("uid_1", "rol_B", "rol_A", {
        signoffSessionAndAssign: true,
        accessToken: "",
        refreshToken: "r",
      }),
  ];
  for (const op of ops) await rejectsWith(op(), "ERR_BAD_INPUT");
  assert.equal(calls.length, 0);
});

test("roles.* with bad input: ERR_BAD_INPUT, no request", async () => {
  const { client, calls } = counting();
  const ops: Array<() => Promise<unknown>> = [
    () => client.roles.addRole("", { doc: "write" }),
    () => client.roles.addRole("editor", { doc: 1 } as unknown as Record<string, string>),
    () => client.roles.addRole("editor", "doc" as unknown as Record<string, string>),
    () => client.roles.deleteRole(""),
    () => client.roles.addPermission("", { doc: "write" }),
    () => client.roles.addPermission("rol_A", {}),
    () => client.roles.addPermission("rol_A", []),
    () => client.roles.deletePermission("rol_A", [{}]),
    () => client.roles.deletePermission("rol_A", { "": "x" }),
    () => client.roles.query({ roleId: "" }),
    () => client.roles.query({ permissionKey: "" }),
    () => client.roles.validate("", "doc", "write"),
    () => client.roles.validate("rol_A", "", "write"),
    () => client.roles.validate("rol_A", "doc", 1 as unknown as string),
  ];
  for (const op of ops) await rejectsWith(op(), "ERR_BAD_INPUT");
  assert.equal(calls.length, 0);
});

test("roles.addRole() sends a map of permissions as one {key: value} per key", async () => {
  const { client, calls } = fakeClient(() =>
    jsonReply({ org_id: "org_test_1", rol_id: "rol_X", name: "editor", permissions: [] })
  );
  await client.roles.addRole("editor", { doc: "write", img: "read" });
  assert.deepEqual(JSON.parse(calls[0]!.body).permissions, [{ doc: "write" }, { img: "read" }]);
});
