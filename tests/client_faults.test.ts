// Adversarial replies from the emulator's fault queue, over real HTTP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteClient, AuthLiteHttpError } from "../mod.ts";
import { signApiKey } from "../mod.ts";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { assertNoSecrets, rejectsWith, startEmulator } from "./_client_helpers.ts";
import { serve } from "./_serve.ts";
import type { EmulatorEnv } from "./_client_helpers.ts";

async function withEmulator(
  run: (env: EmulatorEnv & { accessToken: string; refreshToken: string }) => Promise<void>,
  client: Parameters<typeof startEmulator>[0] = {},
): Promise<void> {
  const env = await startEmulator(client);
  try {
    const s = env.emu.session({ email: "ada@example.com" });
    await run({ ...env, accessToken: s.accessToken, refreshToken: s.refreshToken });
  } finally {
    await env.close();
  }
}

test("getUserData() with a forged signature: ERR_BAD_SIGNATURE", () =>
  withEmulator(async ({ emu, client, accessToken }) => {
    emu.inject({ kind: "bad-signature" });
    await rejectsWith(client.getUserData(accessToken), "ERR_BAD_SIGNATURE");
    assert.equal((await client.getUserData(accessToken)).email, "ada@example.com");
  }));

test("getUser() with alg none: ERR_BAD_SIGNATURE", () =>
  withEmulator(async ({ emu, client }) => {
    emu.inject({ kind: "alg-none" });
    const code = emu.mintCode({ email: "ada@example.com" });
    await rejectsWith(client.getUser(code), "ERR_BAD_SIGNATURE");
  }));

test("reAuth() with a forged signature: ERR_BAD_SIGNATURE, tokens of the reply kept out", () =>
  withEmulator(async ({ emu, client }) => {
    emu.inject({ kind: "bad-signature" });
    const code = emu.mintCode({ email: "ada@example.com" });
    const err = await rejectsWith(client.reAuth(code), "ERR_BAD_SIGNATURE");
    assertNoSecrets(err, [code, DEMO_ORG.secretKey, DEMO_ORG.apiKey, "eyJ"]);
  }));

test("getAccessTokenFromRefreshToken() with a malformed body: ERR_BAD_REPLY", () =>
  withEmulator(async ({ emu, client, refreshToken }) => {
    emu.inject({ kind: "malformed" });
    const err = await rejectsWith(
      client.getAccessTokenFromRefreshToken(refreshToken),
      "ERR_BAD_REPLY",
    );
    assertNoSecrets(err, [refreshToken, "eyJ"]);
  }));

test("getUserData() with a malformed body: ERR_BAD_REPLY", () =>
  withEmulator(async ({ emu, client, accessToken }) => {
    emu.inject({ kind: "malformed" });
    await rejectsWith(client.getUserData(accessToken), "ERR_BAD_REPLY");
  }));

test("replies of the wrong shape: ERR_BAD_REPLY for each operation", () =>
  withEmulator(async ({ emu, client, accessToken, refreshToken }) => {
    const ops: Array<() => Promise<unknown>> = [
      () => client.getUserData(accessToken),
      () => client.getUser(emu.mintCode({ email: "ada@example.com" })),
      () => client.getAccessTokenFromRefreshToken(refreshToken),
      () => client.revokeToken({ accessToken }),
      () => client.roles.getAllRoles(),
      () => client.roles.addRole("x", { a: "b" }),
    ];
    for (const op of ops) {
      emu.inject({ kind: "wrong-shape" });
      await rejectsWith(op(), "ERR_BAD_REPLY");
    }
  }));

test("getUserData() on a 500 echoing the secret, keys and token: none surfaces", () =>
  withEmulator(async ({ emu, client, accessToken }) => {
    const signedKey = await signApiKey(DEMO_ORG.apiKey, DEMO_ORG.secretKey);
    emu.inject({
      kind: "status",
      status: 500,
      body: JSON.stringify({
        detail: "Internal error",
        debug:
          `secret=${DEMO_ORG.secretKey} api_key=${DEMO_ORG.apiKey} signed_key=${signedKey} token ${accessToken}`,
        echo: { secretKey: DEMO_ORG.secretKey, AccessToken: accessToken },
        raw: `${DEMO_ORG.secretKey} ${DEMO_ORG.apiKey} ${signedKey} ${accessToken}`,
      }),
    });
    const err = await rejectsWith(client.getUserData(accessToken), "ERR_HTTP");
    assert.ok(err instanceof AuthLiteHttpError);
    assert.equal(err.status, 500);
    assert.match(err.bodyExcerpt, /Internal error/);
    assertNoSecrets(err, [DEMO_ORG.secretKey, DEMO_ORG.apiKey, signedKey, accessToken]);
    assert.equal(emu.requests().total, 1, "a 500 is not retried");
  }));

test("validateAccessToken() past the timeout: ERR_TIMEOUT", async () => {
  // The upstream answers only once the client has given up: no delay racing the timeout.
  const emu = createEmulator();
  let gaveUp = () => {};
  const clientGaveUp = new Promise<void>((resolve) => (gaveUp = resolve));
  // A client that never times out gets its answer after 10 s and fails the test, not the run.
  const bound = setTimeout(gaveUp, 10_000);
  const server = await serve(async (req) => {
    await clientGaveUp;
    return emu.fetch(req);
  });
  try {
    const sent: string[] = [];
    const client = new AuthLiteClient({
      apiKey: DEMO_ORG.apiKey,
      secretKey: DEMO_ORG.secretKey,
      orgId: DEMO_ORG.orgId,
      baseUrl: server.url,
      timeoutMs: 100,
      fetch: (input, init) => {
        sent.push(new URL(String(input)).pathname);
        return fetch(input, init);
      },
    });
    const { accessToken } = emu.session({ email: "ada@example.com" });
    const err = await rejectsWith(client.validateAccessToken(accessToken), "ERR_TIMEOUT");
    assertNoSecrets(err, [accessToken, DEMO_ORG.apiKey]);
    assert.deepEqual(sent, ["/api/user/me/auth/validate/token"], "a timeout is not retried");
  } finally {
    clearTimeout(bound);
    gaveUp();
    await server.close();
  }
});

test("validateAccessToken() after a 503 then 200: success with 2 calls", () =>
  withEmulator(async ({ emu, client, accessToken }) => {
    emu.inject({ kind: "status", status: 503 });
    assert.equal(await client.validateAccessToken(accessToken), true);
    assert.equal(emu.requests().byPath["/api/user/me/auth/validate/token"], 2);
  }));

test("getUserData() after a 503 with Retry-After: 0, then 200: 2 calls", () =>
  withEmulator(async ({ emu, client, accessToken }) => {
    emu.inject({ kind: "status", status: 503, retry_after: 0 });
    assert.equal((await client.getUserData(accessToken)).email, "ada@example.com");
    assert.equal(emu.requests().total, 2);
  }));

test("getUserData() after a 401 fault: never retried", () =>
  withEmulator(async ({ emu, client, accessToken }) => {
    emu.inject({ kind: "status", status: 401, count: 5 });
    const err = await rejectsWith(client.getUserData(accessToken), "ERR_HTTP");
    assert.equal((err as AuthLiteHttpError).status, 401);
    assert.equal(emu.requests().total, 1);
  }));

test("roles.getAllRoles() after a dropped connection: retried, then success", () =>
  withEmulator(async ({ emu, client }) => {
    emu.inject({ kind: "reset" });
    assert.deepEqual(await client.roles.getAllRoles(), []);
    assert.equal(emu.requests().total, 2);
  }));

test("roles.getAllRoles() when the connection keeps dropping: ERR_NETWORK after retries", () =>
  withEmulator(
    async ({ emu, client }) => {
      emu.inject({ kind: "reset", count: 10 });
      const err = await rejectsWith(client.roles.getAllRoles(), "ERR_NETWORK");
      assertNoSecrets(err, [DEMO_ORG.apiKey, DEMO_ORG.secretKey, "signed_key"]);
      assert.equal(emu.requests().total, 3);
    },
    { client: { retries: 2 } },
  ));

test("roles.addRole() after a 503: not retried (a POST changes state)", () =>
  withEmulator(async ({ emu, client }) => {
    emu.inject({ kind: "status", status: 503 });
    await rejectsWith(client.roles.addRole("editor", { doc: "write" }), "ERR_HTTP");
    assert.equal(emu.requests().total, 1);
    assert.deepEqual(await client.roles.getAllRoles(), []);
  }));

test("revokeToken() after a dropped connection: not retried (a DELETE)", () =>
  withEmulator(async ({ emu, client, accessToken }) => {
    emu.inject({ kind: "reset" });
    await rejectsWith(client.revokeToken({ accessToken }), "ERR_NETWORK");
    assert.equal(emu.requests().total, 1);
  }));
