// Findings 4 and 9: the client never follows a redirect (the query holds the
// API key and the signed key), answers `validateAccessToken` true only on a
// 200, reads at most 1 MiB of a reply and a few KiB of a failure, and scrubs
// base64 and re-cased copies of its secrets from errors. Real HTTP servers on
// loopback. Before the fix: a 307 to another host made `validateAccessToken`
// true and sent the keys there; a 300 MB error body was read whole.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteClient, AuthLiteHttpError } from "../mod.ts";
import { scrub } from "../src/client/_scrub.ts";
import {
  assertNoSecrets,
  rejectsWith,
  TEST_CREDENTIALS,
  TEST_SIGNED_KEY,
} from "./_client_helpers.ts";
import { serve } from "./_serve.ts";

const SECRETS = [TEST_CREDENTIALS.apiKey, TEST_CREDENTIALS.secretKey, TEST_SIGNED_KEY];

function clientOf(baseUrl: string): AuthLiteClient {
  return new AuthLiteClient({ ...TEST_CREDENTIALS, baseUrl, retries: 0, timeoutMs: 10_000 });
}

test("validateAccessToken() does not follow a 307 to another host, and the keys stay home", async () => {
  const elsewhere: string[] = [];
  const other = await serve((req) => {
    elsewhere.push(req.url);
    return new Response("ok", { status: 200 });
  });
  const upstream = await serve((req) => {
    const url = new URL(req.url);
    return new Response(null, {
      status: 307,
      headers: { location: `${other.url}${url.pathname}${url.search}` },
    });
  });
  try {
    const client = clientOf(upstream.url);
    const err = await rejectsWith(client.validateAccessToken("bogus-token"), "ERR_HTTP");
    assert.ok(err instanceof AuthLiteHttpError);
    assert.equal((err as AuthLiteHttpError).status, 307);
    assertNoSecrets(err, [...SECRETS, "bogus-token"]);
    await rejectsWith(client.roles.getAllRoles(), "ERR_HTTP");
    assert.deepEqual(elsewhere, [], "the other host saw nothing");
  } finally {
    await upstream.close();
    await other.close();
  }
});

test("validateAccessToken() is true on 200 only: another 2xx is an error", async () => {
  const upstream = await serve(() => new Response(null, { status: 204 }));
  try {
    await rejectsWith(clientOf(upstream.url).validateAccessToken("tok-a"), "ERR_HTTP");
  } finally {
    await upstream.close();
  }
});

/** A server whose body is `total` bytes of `byte`, pulled on demand; counts what it gave. */
async function hugeBody(status: number, total: number, byte: string) {
  const state = { pulled: 0, cancelled: Promise.withResolvers<void>(), finished: false };
  const chunk = new TextEncoder().encode(byte.repeat(64 * 1024));
  const server = await serve(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(ctrl) {
          if (state.pulled >= total) {
            state.finished = true;
            ctrl.close();
            state.cancelled.resolve();
            return;
          }
          state.pulled += chunk.byteLength;
          ctrl.enqueue(chunk);
        },
        cancel() {
          state.cancelled.resolve();
        },
      }, { highWaterMark: 0 }),
      { status, headers: { "content-type": "application/json" } },
    )
  );
  return { server, state };
}

test("a 300 MB error body is read only as far as an excerpt needs, then cancelled", async () => {
  const { server, state } = await hugeBody(500, 300 * 1024 * 1024, "x");
  try {
    const err = await rejectsWith(clientOf(server.url).roles.getAllRoles(), "ERR_HTTP");
    assert.ok(err.message.length < 400);
    await state.cancelled.promise;
    assert.equal(state.finished, false, "the stream was cancelled, not drained");
    assert.ok(state.pulled < 32 * 1024 * 1024, `pulled ${state.pulled} bytes`);
  } finally {
    await server.close();
  }
});

test("a 2xx reply larger than 1 MiB is refused with ERR_BAD_REPLY, streamed or declared", async () => {
  const { server, state } = await hugeBody(200, 50 * 1024 * 1024, " ");
  const declared = await serve(() =>
    new Response(`[${" ".repeat(2 * 1024 * 1024)}]`, {
      headers: { "content-type": "application/json" },
    })
  );
  try {
    await rejectsWith(clientOf(server.url).roles.getAllRoles(), "ERR_BAD_REPLY");
    await state.cancelled.promise;
    assert.equal(state.finished, false);
    await rejectsWith(clientOf(declared.url).roles.getAllRoles(), "ERR_BAD_REPLY");
  } finally {
    await server.close();
    await declared.close();
  }
});

function b64(text: string): string {
  return btoa(text);
}

test("scrub() removes base64, base64url and re-cased copies of a secret, at any alignment", () => {
  const secret = TEST_CREDENTIALS.secretKey;
  const forms = [
    secret.toUpperCase(),
    secret.toLowerCase(),
    b64(secret),
    b64(`x${secret}`),
    b64(`xy${secret}`),
    b64(`{"secret_key":"${secret}"}`),
    b64(`??>${secret}`).replace(/\+/g, "-").replace(/\//g, "_"),
    b64(secret).toUpperCase(),
  ];
  for (const form of forms) {
    const out = scrub(`upstream said: ${form} (end)`, [secret]);
    assert.ok(!out.includes(form), `${form} -> ${out}`);
    assert.match(out, /\[redacted\]/);
  }
});

test("an upstream that echoes the secret in base64 or upper case: the error shows neither", async () => {
  const secret = TEST_CREDENTIALS.secretKey;
  const upstream = await serve(() =>
    new Response(`bad: ${b64(`key=${secret}`)} / ${secret.toUpperCase()}`, { status: 400 })
  );
  try {
    const err = await rejectsWith(clientOf(upstream.url).roles.getAllRoles(), "ERR_HTTP");
    const text = `${err.message} ${JSON.stringify(err)}`;
    assert.ok(!text.includes(secret.toUpperCase()), text);
    for (const k of [0, 1, 2]) {
      const core = b64(`${"k".repeat(k)}${secret}`).slice(4, 20);
      assert.ok(!text.includes(core), text);
    }
  } finally {
    await upstream.close();
  }
});
