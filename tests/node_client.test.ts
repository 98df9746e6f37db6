// The client on Node.js: mod.ts bundled by esbuild and run by `node`, against
// the emulator over a real loopback socket.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { createEmulator, DEMO_ORG } from "../src/emulator/mod.ts";
import { serve } from "./_serve.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

function node(
  file: string,
  arg: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("node", [file, arg], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({
        code: err === null ? 0 : typeof err.code === "number" ? err.code : 1,
        stdout,
        stderr,
      });
    });
  });
}

test("AuthLiteClient runs unchanged on Node.js against the emulator over HTTP", async () => {
  const out = `${root}.tmp/node/node_client.mjs`;
  await build({
    entryPoints: [`${root}tests/fixtures/node_client.ts`],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outfile: out,
    logLevel: "silent",
  });
  const emu = createEmulator({ control: true });
  const server = await serve(emu.fetch);
  try {
    const code = emu.mintCode({ email: "node@example.com" });
    const config = {
      baseUrl: server.url,
      apiKey: DEMO_ORG.apiKey,
      secretKey: DEMO_ORG.secretKey,
      orgId: DEMO_ORG.orgId,
      code,
    };
    const result = await node(out, JSON.stringify(config));
    assert.equal(result.code, 0, result.stderr);
    const r = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}");
    assert.match(r.node, /^v\d+\./);
    assert.equal(r.email, "node@example.com");
    assert.equal(r.first.state, true);
    assert.equal(r.secondState, true);
    assert.equal(r.merged, true, "both permissions of the role are kept");
    assert.equal(r.signedOff, false);
    assert.equal(r.dataEmail, "node@example.com");
    assert.equal(r.revoked, true);
    assert.equal(r.stillValid, false);
    assert.equal(r.afterRevoke?.isAuthLiteError, true);
    assert.equal(r.afterRevoke?.code, "ERR_INVALID_TOKEN_SET");
    for (const secret of [DEMO_ORG.secretKey, DEMO_ORG.apiKey, r.userToken]) {
      assert.ok(!r.afterRevoke.text.includes(secret), "the error holds no secret or token");
    }
    // Validations upstream: the first validateTokenSet, then validateAccessToken
    // after the revoke (the revoke made the cache forget); the second
    // validateTokenSet was answered by the token cache, on Node too, and the one
    // after the revoke went straight to the refresh (the access token was found
    // invalid a moment before: the guard remembers it), which upstream rejected.
    assert.equal(emu.requests().byPath["/api/user/me/auth/validate/token"], 2);
    assert.equal(emu.requests().byPath["/api/user/me/access/token/"], 1);
  } finally {
    await server.close();
  }
});
