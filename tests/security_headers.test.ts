// Finding 1: every header value the gateway builds from input (`Location`,
// `Set-Cookie`) is printable ASCII, on every runtime, for every byte value and
// for multi-byte input; the server keeps answering /health. Before the fix, a
// DEL (0x7F) in the return path reached `Location` and Deno's HTTP writer
// panicked, taking the whole process down.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, type Emulator } from "../src/emulator/mod.ts";
import { safeReturnPath } from "../src/gateway/_login.ts";
import { startGateway } from "./_gateway_fixture.ts";
import { serve } from "./_serve.ts";
import { startWorker } from "./_workerd.ts";

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** Return paths to try: `/a<byte>b` for every byte, then multi-byte and tricky input. */
function inputs(): string[] {
  const out: string[] = [];
  for (let b = 0; b < 256; b++) {
    out.push(`/a%${b.toString(16).padStart(2, "0").toUpperCase()}b`);
  }
  out.push(
    ...[
      "/é",
      "/🙂?x=ü#ß",
      "/\u2028\u2029",
      "/\u202e",
      "/\ufeff",
      "/\uffff",
      "/日本語",
    ].map(encodeURIComponent).map((s) => `/${s}`),
    "/%C0%AF",
    "/%ED%A0%80",
    "/%F4%90%80%80",
    "/%E2%80%AE",
    "/%",
    "/%zz",
    "/%25",
    "/%09/evil.example",
    "/%5C%5Cevil.example",
    "%2F%2Fevil.example",
    "/x%0D%0ASet-Cookie:%20a=b",
    "/x%0ALocation:%20//evil.example",
    `/${"a".repeat(5000)}`,
    `/${"%7F".repeat(100)}`,
    "/a?b=%22%3E%3Cscript%3E",
  );
  return out;
}

function printable(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

async function fuzz(send: Fetch, base: string, emu: Emulator): Promise<void> {
  for (const input of inputs()) {
    const login = await send(`${base}/auth/login?redirect=${input}`, { redirect: "manual" });
    await login.text();
    // A return path longer than the schema allows is a 400, before any cookie.
    if (input.length > 2048) {
      assert.equal(login.status, 400, "an overlong return path");
      continue;
    }
    assert.equal(login.status, 302, `login ${input}`);
    const cookies = login.headers.getSetCookie();
    for (const line of cookies) assert.ok(printable(line), `Set-Cookie of ${input}: ${line}`);
    const cookie = cookies.map((l) => l.split(";")[0]).join("; ");
    const code = emu.mintCode({ email: "fuzz@example.com" });
    const cb = await send(`${base}/auth/callback?code=${encodeURIComponent(code)}`, {
      redirect: "manual",
      headers: { cookie },
    });
    await cb.text();
    assert.equal(cb.status, 302, `callback ${input}`);
    const location = cb.headers.get("location") ?? "";
    assert.ok(printable(location), `Location of ${input}: ${JSON.stringify(location)}`);
    assert.ok(location.startsWith("/") && !location.startsWith("//"), `${input} -> ${location}`);
    assert.equal(new URL(location, base).origin, new URL(base).origin, `${input} -> ${location}`);
    for (const line of cb.headers.getSetCookie()) assert.ok(printable(line), `${input}: ${line}`);
  }
  const health = await send(`${base}/health`);
  assert.deepEqual(await health.json(), { ok: true });
}

test("safeReturnPath() keeps RFC 3986 characters, encodes the rest, refuses what leaves the site", () => {
  assert.equal(safeReturnPath("/a/b?c=d&e=f#g"), "/a/b?c=d&e=f#g");
  assert.equal(safeReturnPath("/a\x7fb"), "/");
  assert.equal(safeReturnPath("/a\tb"), "/");
  assert.equal(safeReturnPath("/a\\b"), "/");
  assert.equal(safeReturnPath("/é 🙂"), "/%C3%A9%20%F0%9F%99%82");
  assert.equal(safeReturnPath("/100%"), "/100%25");
  assert.equal(safeReturnPath("/%41"), "/%41");
  assert.equal(safeReturnPath("/\ud800"), "/");
  for (const evil of ["//evil", "https://evil", "evil", "", "/".repeat(3000)]) {
    assert.equal(safeReturnPath(evil), "/", evil);
  }
  for (let code = 0; code < 0x10000; code++) {
    const out = safeReturnPath(`/x${String.fromCharCode(code)}`);
    assert.ok(/^\/[\x21-\x7e]*$/.test(out), `U+${code.toString(16)}: ${out}`);
  }
});

test("Location and Set-Cookie built from input stay printable ASCII on a real server; /health answers after", async () => {
  const fx = await startGateway({ cookie: { secure: false } });
  const server = await serve((req) => fx.app.fetch(req));
  try {
    await fuzz(fetch, server.url, fx.emu);
  } finally {
    await server.close();
    await fx.close();
  }
});

test("Location and Set-Cookie built from input stay printable ASCII in workerd; /health answers after", async () => {
  const emu = createEmulator();
  const upstream = await serve(emu.fetch);
  // Hundreds of logins from one client: past the default limit of /auth/*.
  const mf = await startWorker(upstream.url, {
    COOKIE_SECURE: "false",
    AUTH_RATE_LIMIT_PER_MINUTE: "off",
  });
  try {
    await fuzz((url, init) => mf.dispatchFetch(url, init), "http://gateway.test", emu);
  } finally {
    await mf.dispose();
    await upstream.close();
  }
});
