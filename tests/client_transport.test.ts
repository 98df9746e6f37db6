// The client's transport through an injected fetch: timeouts, retries of
// idempotent GETs only, Retry-After, and errors free of secrets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteHttpError, AuthLiteNetworkError } from "../mod.ts";
import {
  backoffMs,
  parseRetryAfter,
  RETRY_AFTER_CAP_MS,
  retryDelayMs,
} from "../src/client/_retry.ts";
import { excerpt, scrub } from "../src/client/_scrub.ts";
import {
  assertNoSecrets,
  fakeClient,
  jsonReply,
  rejectsWith,
  TEST_CREDENTIALS,
  TEST_SIGNED_KEY,
} from "./_client_helpers.ts";

const SECRETS = [TEST_CREDENTIALS.apiKey, TEST_CREDENTIALS.secretKey, TEST_SIGNED_KEY];
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1aWRfMSJ9.c2VjcmV0LXNpZ25hdHVyZQ";

/** A reply that waits for the request's signal, as a real fetch does. */
function hang(signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((_resolve, reject) => {
    signal?.addEventListener("abort", () => reject(new DOMException("Aborted", "AbortError")), {
      once: true,
    });
  });
}

test("validateAccessToken() times out with ERR_TIMEOUT and does not retry a timeout", async () => {
  const { client, calls } = fakeClient((req) => hang(req.signal), { timeoutMs: 30 });
  const err = await rejectsWith(client.validateAccessToken(TOKEN), "ERR_TIMEOUT");
  assert.ok(err instanceof AuthLiteNetworkError);
  assert.equal(err.endpoint, "/api/user/me/auth/validate/token");
  assert.equal(calls.length, 1);
  assertNoSecrets(err, [...SECRETS, TOKEN]);
});

test("getUserData() times out even when the injected fetch ignores the signal", async () => {
  const { client, calls } = fakeClient(() => new Promise<Response>(() => {}), { timeoutMs: 30 });
  await rejectsWith(client.getUserData(TOKEN), "ERR_TIMEOUT");
  assert.equal(calls.length, 1);
});

test("getUserData() times out while the body is still arriving", async () => {
  const { client } = fakeClient(
    (req) =>
      new Response(
        new ReadableStream({
          start(ctrl) {
            ctrl.enqueue(new TextEncoder().encode('"eyJ'));
            req.signal?.addEventListener("abort", () => ctrl.error(new Error("aborted")));
          },
        }),
      ),
    { timeoutMs: 30 },
  );
  await rejectsWith(client.getUserData(TOKEN), "ERR_TIMEOUT");
});

test("validateAccessToken() retries a 503 then succeeds: 2 calls", async () => {
  const { client, calls } = fakeClient((_req, i) =>
    i === 0 ? jsonReply({ detail: "busy" }, 503) : jsonReply({ valid: true })
  );
  assert.equal(await client.validateAccessToken(TOKEN), true);
  assert.equal(calls.length, 2);
});

test("getAccessTokenFromRefreshToken() retries 502 and 504, then gives up after `retries`", async () => {
  const { client, calls } = fakeClient(
    (_req, i) => jsonReply({ detail: "gateway" }, i % 2 === 0 ? 502 : 504),
    { retries: 3 },
  );
  const err = await rejectsWith(client.getAccessTokenFromRefreshToken(TOKEN), "ERR_HTTP");
  assert.ok(err instanceof AuthLiteHttpError);
  assert.equal(err.status, 504);
  assert.equal(calls.length, 4);
});

test("validateAccessToken() with retries: 0 tries once", async () => {
  const { client, calls } = fakeClient(() => jsonReply({}, 503), { retries: 0 });
  await rejectsWith(client.validateAccessToken(TOKEN), "ERR_HTTP");
  assert.equal(calls.length, 1);
});

test("getUserData() never retries a 401", async () => {
  const { client, calls } = fakeClient(() => jsonReply({ detail: "Invalid token" }, 401));
  const err = await rejectsWith(client.getUserData(TOKEN), "ERR_HTTP");
  assert.equal((err as AuthLiteHttpError).status, 401);
  assert.equal(calls.length, 1);
});

test("validateAccessToken() answers false on 401 and 403, with one call each", async () => {
  for (const status of [401, 403]) {
    const { client, calls } = fakeClient(() => jsonReply({ detail: "no" }, status));
    assert.equal(await client.validateAccessToken(TOKEN), false);
    assert.equal(calls.length, 1);
  }
});

test("validateAccessToken() throws on a 500 and on a 429 (neither is an answer)", async () => {
  for (const status of [500, 429]) {
    const { client, calls } = fakeClient(() => jsonReply({ detail: "no" }, status));
    const err = await rejectsWith(client.validateAccessToken(TOKEN), "ERR_HTTP");
    assert.equal((err as AuthLiteHttpError).status, status);
    assert.equal(calls.length, 1);
  }
});

test("roles.addRole() never retries a POST, even on 503", async () => {
  const { client, calls } = fakeClient(() => jsonReply({ detail: "busy" }, 503));
  await rejectsWith(client.roles.addRole("editor", { doc: "write" }), "ERR_HTTP");
  assert.equal(calls.length, 1);
});

test("revokeToken() never retries a DELETE after a network error", async () => {
  const { client, calls } = fakeClient(() => Promise.reject(new TypeError("connection reset")));
  await rejectsWith(client.revokeToken({ accessToken: TOKEN }), "ERR_NETWORK");
  assert.equal(calls.length, 1);
});

test("getUser() retries a network error and keeps the URL out of the error", async () => {
  const { client, calls } = fakeClient((req) => {
    const err = new TypeError(`error sending request for url (${req.url.href})`);
    Object.assign(err, { path: req.url.href, cause: new Error(`connect to ${req.url.href}`) });
    return Promise.reject(err);
  }, { retries: 2 });
  const err = await rejectsWith(client.getUser(TOKEN), "ERR_NETWORK");
  assert.equal(calls.length, 3);
  assert.ok(err.cause instanceof Error);
  assert.match(err.cause.message, /error sending request/);
  assertNoSecrets(err, [...SECRETS, TOKEN, "api_key=", "?"]);
});

test("validateAccessToken() waits as Retry-After says (0 s) and retries", async () => {
  const { client, calls } = fakeClient((_req, i) =>
    i === 0 ? jsonReply({}, 503, { "retry-after": "0" }) : jsonReply({ valid: true })
  );
  assert.equal(await client.validateAccessToken(TOKEN), true);
  assert.equal(calls.length, 2);
});

test("validateAccessToken() gives up at once when Retry-After exceeds the cap", async () => {
  const { client, calls } = fakeClient(() => jsonReply({}, 503, { "retry-after": "3600" }));
  const err = await rejectsWith(client.validateAccessToken(TOKEN), "ERR_HTTP");
  assert.equal((err as AuthLiteHttpError).status, 503);
  assert.equal(calls.length, 1);
});

test("getUserData() on a 500 echoing every secret: none of them surfaces", async () => {
  const echo = JSON.stringify({
    detail: "Internal error",
    secret: TEST_CREDENTIALS.secretKey,
    request:
      `https://upstream.test/api/user/me/data?AccessToken=${TOKEN}&api_key=${TEST_CREDENTIALS.apiKey}&signed_key=${TEST_SIGNED_KEY}`,
    note:
      `key ${TEST_CREDENTIALS.apiKey} signed ${TEST_SIGNED_KEY} with ${TEST_CREDENTIALS.secretKey}: ${TOKEN}`,
    encoded: encodeURIComponent(TEST_CREDENTIALS.secretKey),
  });
  const { client, calls } = fakeClient(() => new Response(echo, { status: 500 }));
  const err = await rejectsWith(client.getUserData(TOKEN), "ERR_HTTP");
  assert.equal(calls.length, 1);
  assert.ok(err instanceof AuthLiteHttpError);
  assert.equal(err.endpoint, "/api/user/me/data");
  assert.match(err.bodyExcerpt, /Internal error/);
  assert.ok(err.bodyExcerpt.length <= 161);
  assert.match(err.message, /^Upstream answered 500: \/api\/user\/me\/data/);
  assertNoSecrets(err, [...SECRETS, TOKEN, "AccessToken=", "signed_key="]);
});

test("getUserData() keeps tokens it never sent out of the excerpt too", async () => {
  const other = "eyJhbGciOiJIUzI1NiJ9.eyJvdGhlciI6dHJ1ZX0.b3RoZXItc2lnbmF0dXJl";
  const { client } = fakeClient(() =>
    jsonReply({ detail: "bad", access_token: "opaque-token-value-123", hint: other }, 400)
  );
  const err = await rejectsWith(client.getUserData(TOKEN), "ERR_HTTP");
  assertNoSecrets(err, [other, "opaque-token-value-123"]);
});

test("scrub() removes secrets, their encodings, JWTs, query strings and secret-named fields", () => {
  const secret = "p@ss word/+=";
  const text = `a ${secret} b ${
    encodeURIComponent(secret)
  } c ${TOKEN} d /x?api_key=k1&y=2 e {"refresh_token":"r1"} f password=hunter2`;
  const out = scrub(text, [secret]);
  for (const bad of [secret, encodeURIComponent(secret), TOKEN, "k1", '"r1"', "hunter2"]) {
    assert.ok(!out.includes(bad), `left: ${bad} in ${out}`);
  }
  assert.match(out, /^a \[redacted\] b \[redacted\] c \[redacted\] d \/x e/);
});

test("excerpt() is short and on one line", () => {
  const out = excerpt(`${"x".repeat(500)}\n\n${"y".repeat(10)}`, []);
  assert.ok(out.length <= 161);
  assert.ok(!out.includes("\n"));
});

test("parseRetryAfter() reads seconds and HTTP dates", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("3", now), 3000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:02 GMT", now), 2000);
  assert.equal(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now), 0);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter("-1", now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});

test("retryDelayMs() honours Retry-After up to the cap, else backs off", () => {
  const now = 0;
  assert.equal(retryDelayMs(0, "1", now), 1000);
  assert.equal(retryDelayMs(0, String(RETRY_AFTER_CAP_MS / 1000), now), RETRY_AFTER_CAP_MS);
  assert.equal(retryDelayMs(0, String(RETRY_AFTER_CAP_MS / 1000 + 1), now), undefined);
  assert.equal(retryDelayMs(1, null, now, () => 0), backoffMs(1, () => 0));
});

test("backoffMs() grows exponentially with bounded jitter", () => {
  assert.equal(backoffMs(0, () => 0), 50);
  assert.equal(backoffMs(0, () => 1), 100);
  assert.equal(backoffMs(3, () => 0), 400);
  assert.equal(backoffMs(3, () => 1), 800);
  assert.equal(backoffMs(20, () => 1), 2000);
});
