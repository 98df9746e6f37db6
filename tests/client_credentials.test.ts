// Issue 18, over real HTTP against the emulator: when TrustAuthX rejects the
// organisation's own credentials, the client throws ERR_CREDENTIALS naming the
// value to fix (never `false`, never "log in again"), and reports it once per
// rejection to `observe`, with no secret anywhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteCredentialsError } from "../mod.ts";
import type { AuthLiteClient, AuthLiteEvent } from "../mod.ts";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { assertNoSecrets, rejectsWith, startEmulator } from "./_client_helpers.ts";
import type { EmulatorEnv } from "./_client_helpers.ts";

async function withEmulator(run: (env: EmulatorEnv) => Promise<void>): Promise<void> {
  const env = await startEmulator();
  try {
    await run(env);
  } finally {
    await env.close();
  }
}

const WRONG_SECRET = "not-the-secret-of-the-demo-org-0123456789";
const WRONG_API_KEY = "key_not_ours_0123456789";

for (
  const [name, extra, credential] of [
    ["a wrong secret key", { secretKey: WRONG_SECRET }, "secretKey"],
    ["a wrong API key", { apiKey: WRONG_API_KEY }, "apiKey"],
  ] as const
) {
  test(`${name}: ERR_CREDENTIALS (${credential}) from validateAccessToken, validateTokenSet, getUser and refresh`, () =>
    withEmulator(async (env) => {
      const events: AuthLiteEvent[] = [];
      const client: AuthLiteClient = env.makeClient({ ...extra, observe: (e) => events.push(e) });
      const s = env.emu.session({ email: "ada@example.com" });
      const code = env.emu.mintCode({ email: "ada@example.com" });
      const secrets = [
        extra.apiKey ?? "",
        extra.secretKey ?? "",
        s.accessToken,
        s.refreshToken,
        code,
      ]
        .filter((x) => x !== "");
      // One after the other: concurrent validations of one token share one upstream call.
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ["validateAccessToken", () => client.validateAccessToken(s.accessToken)],
        ["validateTokenSet", () => client.validateTokenSet(s.accessToken, s.refreshToken)],
        ["getUser", () => client.getUser(code)],
        [
          "getAccessTokenFromRefreshToken",
          () => client.getAccessTokenFromRefreshToken(s.refreshToken),
        ],
        ["getUserData", () => client.getUserData(s.accessToken)],
      ];
      for (const [op, attempt] of attempts) {
        const err = await rejectsWith(attempt(), "ERR_CREDENTIALS");
        assert.ok(err instanceof AuthLiteCredentialsError, op);
        assert.equal(err.credential, credential, op);
        assertNoSecrets(err, secrets);
      }
      const reported = events.filter((e) => e.type === "credentials");
      assert.equal(reported.length, attempts.length);
      assert.ok(reported.every((e) => e.credential === credential));
      for (const e of events) assert.ok(!secrets.some((x) => JSON.stringify(e).includes(x)));
      // Nothing was used up: the right client still exchanges the code and refreshes.
      assert.equal((await env.client.getUser(code)).email, "ada@example.com");
      const pair = await env.client.getAccessTokenFromRefreshToken(s.refreshToken);
      assert.equal(await env.client.validateAccessToken(pair.accessToken), true);
    }));
}

test("a wrong API key never reads a valid token as invalid, however often it is asked", () =>
  withEmulator(async (env) => {
    const client = env.makeClient({ apiKey: WRONG_API_KEY });
    const s = env.emu.session({ email: "ada@example.com" });
    for (let i = 0; i < 3; i++) {
      await rejectsWith(client.validateAccessToken(s.accessToken), "ERR_CREDENTIALS");
    }
    // Not remembered as an invalid token by the right client either.
    assert.equal(await env.client.validateAccessToken(s.accessToken), true);
  }));

test("a wrong orgId: ERR_CREDENTIALS (orgId) from a role call", () =>
  withEmulator(async (env) => {
    const client = env.makeClient({ orgId: "org_not_ours" });
    const err = await rejectsWith(client.roles.getAllRoles(), "ERR_CREDENTIALS");
    assert.equal((err as AuthLiteCredentialsError).credential, "orgId");
  }));

test("the emulator names the credential it rejects; a user's token rejected names none", () =>
  withEmulator(async (env) => {
    const s = env.emu.session({ email: "ada@example.com" });
    const base = `${env.server.url}/api/user/me/auth/validate/token`;
    const wrongKey = await fetch(`${base}?AccessToken=${s.accessToken}&api_key=nope&signed_key=x`);
    assert.equal(wrongKey.status, 401);
    assert.equal((await wrongKey.json()).credential, "api_key");
    const wrongSigned = await fetch(
      `${base}?AccessToken=${s.accessToken}&api_key=${DEMO_ORG.apiKey}&signed_key=x`,
    );
    assert.equal(wrongSigned.status, 401);
    assert.equal((await wrongSigned.json()).credential, "signed_key");
    // A bad user token, right credentials: a 401 with no credential named.
    assert.equal(await env.client.validateAccessToken("bogus-token"), false);
    const res = await fetch(`${env.server.url}/rbac/role?api_key=${DEMO_ORG.apiKey}&signed_key=x`);
    assert.equal((await res.json()).credential, "signed_key");
  }));
