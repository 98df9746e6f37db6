// Signed replies and reply shapes, through an injected fetch: HS256 with the
// secret only; anything else is ERR_BAD_SIGNATURE; a wrong shape is ERR_BAD_REPLY.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteReplyError } from "../mod.ts";
import {
  assertNoSecrets,
  fakeClient,
  jsonReply,
  rejectsWith,
  sessionClaims,
  signClaims,
  TEST_CREDENTIALS,
  TEST_SIGNED_KEY,
  unsecuredJwt,
} from "./_client_helpers.ts";

const SECRETS = [TEST_CREDENTIALS.apiKey, TEST_CREDENTIALS.secretKey, TEST_SIGNED_KEY];

test("getUser() maps a verified reply to camelCase, sub and scope parsed", async () => {
  const claims = sessionClaims();
  const { client } = fakeClient(async () => jsonReply(await signClaims(claims)));
  const user = await client.getUser("user_tok");
  assert.equal(user.uid, "uid_1");
  assert.equal(user.email, "ada@example.com");
  assert.equal(user.accessToken, "acc_new");
  assert.equal(user.refreshToken, "ref_new");
  assert.deepEqual(user.roles, ["rol_A"]);
  assert.equal(user.expiresAt, claims.exp);
  assert.equal(user.refreshExpiresAt, claims.refresh_exp);
  assert.equal(user.name, "Ada");
  assert.equal(user.img, "https://img.test/a.png");
  assert.equal(user.claims.iss, "test");
});

test("reAuth() accepts a reply without scope, name or expiry", async () => {
  const { client } = fakeClient(async () =>
    jsonReply(
      await signClaims({
        access_token: "a",
        refresh_token: "r",
        sub: JSON.stringify({ uid: "u", email: "e@x.test" }),
      }),
    )
  );
  const result = await client.reAuth("code_1");
  assert.deepEqual(
    { ...result, claims: undefined },
    {
      uid: "u",
      email: "e@x.test",
      accessToken: "a",
      refreshToken: "r",
      roles: [],
      expiresAt: null,
      refreshExpiresAt: null,
      claims: undefined,
    },
  );
});

test("getUser() rejects a reply signed with another key: ERR_BAD_SIGNATURE", async () => {
  const { client } = fakeClient(async () =>
    jsonReply(await signClaims(sessionClaims(), "another-secret-entirely-0123456789"))
  );
  const err = await rejectsWith(client.getUser("user_tok"), "ERR_BAD_SIGNATURE");
  assert.ok(err instanceof AuthLiteReplyError);
  assert.equal(err.endpoint, "/api/user/me/auth/data");
  assertNoSecrets(err, [...SECRETS, "acc_new", "ref_new"]);
});

test("getUser() rejects alg none: ERR_BAD_SIGNATURE", async () => {
  const { client } = fakeClient(() => jsonReply(unsecuredJwt(sessionClaims())));
  await rejectsWith(client.getUser("user_tok"), "ERR_BAD_SIGNATURE");
});

test("getUserData() rejects HS512 even with the right secret: ERR_BAD_SIGNATURE", async () => {
  const { client } = fakeClient(async () =>
    jsonReply(await signClaims({ uid: "u", email: "e" }, TEST_CREDENTIALS.secretKey, "HS512"))
  );
  await rejectsWith(client.getUserData("acc_tok"), "ERR_BAD_SIGNATURE");
});

test("getUserData() rejects a header that claims RS256 over an HMAC: ERR_BAD_SIGNATURE", async () => {
  const good = await signClaims({ uid: "u", email: "e" });
  const [, payload, sig] = good.split(".");
  const header = btoa(JSON.stringify({ alg: "RS256", typ: "JWT" })).replace(/=+$/, "");
  const { client } = fakeClient(() => jsonReply(`${header}.${payload}.${sig}`));
  await rejectsWith(client.getUserData("acc_tok"), "ERR_BAD_SIGNATURE");
});

test("reAuth() rejects a tampered payload: ERR_BAD_SIGNATURE", async () => {
  const good = await signClaims(sessionClaims());
  const [header, , sig] = good.split(".");
  const forged = btoa(JSON.stringify(sessionClaims({ access_token: "forged" }))).replace(
    /=+$/,
    "",
  );
  const { client } = fakeClient(() => jsonReply(`${header}.${forged}.${sig}`));
  await rejectsWith(client.reAuth("code_1"), "ERR_BAD_SIGNATURE");
});

test("getUser() rejects a malformed token string: ERR_BAD_SIGNATURE", async () => {
  for (const token of ["not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "x.y"]) {
    const { client } = fakeClient(() => jsonReply(token));
    await rejectsWith(client.getUser("user_tok"), "ERR_BAD_SIGNATURE");
  }
});

test("getUser() rejects a body that is not JSON: ERR_BAD_REPLY", async () => {
  const { client } = fakeClient(() => new Response(`{"oops": "${TEST_SIGNED_KEY}`));
  const err = await rejectsWith(client.getUser("user_tok"), "ERR_BAD_REPLY");
  assertNoSecrets(err, SECRETS);
});

test("getUser() rejects a reply that is not a string: ERR_BAD_REPLY", async () => {
  const { client } = fakeClient(() => jsonReply({ access_token: "a", refresh_token: "r" }));
  await rejectsWith(client.getUser("user_tok"), "ERR_BAD_REPLY");
});

test("getUser() rejects verified claims of the wrong shape: ERR_BAD_REPLY, no values shown", async () => {
  const cases: Record<string, unknown>[] = [
    sessionClaims({ access_token: undefined }),
    sessionClaims({ refresh_token: 42 }),
    sessionClaims({ sub: "not json" }),
    sessionClaims({ sub: JSON.stringify({ email: "e" }) }),
    sessionClaims({ scope: "not json" }),
    sessionClaims({ scope: JSON.stringify({ not: "a list" }) }),
  ];
  for (const claims of cases) {
    const { client } = fakeClient(async () => jsonReply(await signClaims(claims)));
    const err = await rejectsWith(client.getUser("user_tok"), "ERR_BAD_REPLY");
    assertNoSecrets(err, ["acc_new", "ref_new", "ada@example.com"]);
  }
});

test("getUserData() rejects an expired signed reply beyond the clock tolerance", async () => {
  const now = Date.now();
  const exp = Math.floor(now / 1000) - 60;
  const reply = await signClaims({ uid: "u", email: "e", exp, access_token: "leaky-token-1" });
  const strict = fakeClient(() => jsonReply(reply), { clockToleranceSeconds: 30 });
  const err = await rejectsWith(strict.client.getUserData("acc_tok"), "ERR_BAD_REPLY");
  assert.match(err.message, /expired/);
  assertNoSecrets(err, ["leaky-token-1"]);
  const lenient = fakeClient(() => jsonReply(reply), { clockToleranceSeconds: 120 });
  assert.equal((await lenient.client.getUserData("acc_tok")).uid, "u");
});

test("getUserData() verifies against the injected clock", async () => {
  const exp = Math.floor(Date.now() / 1000) - 3600;
  const reply = await signClaims({ uid: "u", email: "e", exp });
  const { client } = fakeClient(() => jsonReply(reply), { now: () => (exp - 10) * 1000 });
  assert.equal((await client.getUserData("acc_tok")).email, "e");
});

test("getAccessTokenFromRefreshToken() rejects a wrong shape: ERR_BAD_REPLY", async () => {
  for (const value of [{ unexpected: true }, { access_token: "a" }, ["a", "r"], "a", null]) {
    const { client } = fakeClient(() => jsonReply(value));
    await rejectsWith(client.getAccessTokenFromRefreshToken("ref_tok"), "ERR_BAD_REPLY");
  }
});

test("revokeToken() rejects a reply that is not a boolean: ERR_BAD_REPLY", async () => {
  const { client } = fakeClient(() => jsonReply({ ok: true }));
  await rejectsWith(client.revokeToken({ accessToken: "acc_tok" }), "ERR_BAD_REPLY");
});

test("roles.getAllRoles() rejects a wrong shape: ERR_BAD_REPLY naming where", async () => {
  const { client } = fakeClient(() =>
    jsonReply([{ org_id: "o", rol_id: "r", name: "n", permissions: [{ doc: 1 }] }])
  );
  const err = await rejectsWith(client.roles.getAllRoles(), "ERR_BAD_REPLY");
  assert.match(err.message, /0\.permissions\.0\.doc/);
});

test("attachRole() validates the sign-off reply and the plain reply", async () => {
  const signoff = { signoffSessionAndAssign: true, accessToken: "a", refreshToken: "r" };
  const bad = fakeClient(() => jsonReply({ uid: "u" }), { orgId: "org_test_1" });
  await rejectsWith(bad.client.attachRole("u", "rol_A", signoff), "ERR_BAD_REPLY");
  const list = fakeClient(() => jsonReply(["not", "an", "object"]));
  await rejectsWith(list.client.attachRole("u", "rol_A"), "ERR_BAD_REPLY");
  const ok = fakeClient(() => jsonReply({ anything: 1 }));
  assert.deepEqual(await ok.client.attachRole("u", "rol_A"), {
    signedOff: false,
    reply: { anything: 1 },
  });
});
