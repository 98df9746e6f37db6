// `npm start` (src/runtime/dev.ts): the gateway with the embedded emulator,
// started as a user starts it, in its own process, and used over HTTP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { serve } from "./_serve.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const deno = `${root}node_modules/.bin/deno`;

/** The environment of `npm start` here: no TrustAuthX credentials, ephemeral ports. */
function devEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, PORT: "0", NO_COLOR: "1" };
  for (const k of Object.keys(env)) if (k.startsWith("TRUSTAUTHX_")) delete env[k];
  return { ...env, ...extra };
}

/** Start dev.ts on ephemeral ports; resolve with what it printed once it is listening. */
function startDev(
  extra: Record<string, string> = {},
): Promise<{ output: string; stop: () => Promise<void> }> {
  const child = spawn(deno, ["run", "-A", "src/runtime/dev.ts"], {
    cwd: root,
    env: devEnv(extra),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`npm start printed no URL in time:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (
        /TrustAuthX emulator http:\/\/127\.0\.0\.1:\d+/.test(output) && /admin key/.test(output)
      ) {
        clearTimeout(timer);
        resolve({ output, stop });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
}

test("npm start serves the gateway, the demo page and the emulator's login widget", async () => {
  const dev = await startDev();
  try {
    const gateway = /authlite gateway\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(dev.output)?.[1];
    assert.ok(gateway, `no gateway URL in:\n${dev.output}`);
    assert.match(dev.output, /demo admin\s+admin@example\.com/);

    const health = await fetch(`${gateway}/health`);
    assert.deepEqual(await health.json(), { ok: true });

    const page = await fetch(`${gateway}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await page.text(), /authlite/);

    const login = await fetch(`${gateway}/auth/login`, { redirect: "manual" });
    assert.equal(login.status, 302);
    const widget = login.headers.get("location") ?? "";
    assert.match(widget, /^http:\/\/127\.0\.0\.1:\d+\/widget\/login\/\?org_id=/);
    await login.body?.cancel();

    const form = await fetch(widget);
    assert.equal(form.status, 200);
    assert.match(await form.text(), /<form/i);

    const docs = await fetch(`${gateway}/openapi.json`);
    const doc = await docs.json() as { paths: Record<string, unknown> };
    assert.ok("/rpc/validateTokenSet" in doc.paths);
    assert.ok("/auth/me" in doc.paths);
  } finally {
    await dev.stop();
  }
});

/** Run an entry to its end (it must not start): its exit code and output. */
function runDevToEnd(
  extra: Record<string, string>,
  command: string[] = [deno, "run", "-A", "src/runtime/dev.ts"],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: root,
      env: devEnv(extra),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("npm start on a busy PORT prints one line naming PORT and exits 1", async () => {
  const holder = await serve(() => new Response("taken"));
  try {
    const r = await runDevToEnd({ PORT: String(holder.port) });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `Port ${holder.port} is in use (PORT): stop what holds it, or set PORT to a free port\n`,
    );
    assert.equal(r.stdout, "");
    const emu = await runDevToEnd({ EMULATOR_PORT: String(holder.port) });
    assert.equal(emu.code, 1);
    assert.match(emu.stderr, /^Port \d+ is in use \(EMULATOR_PORT\): [^\n]*\n$/);
  } finally {
    await holder.close();
  }
});

test("npm start with partial credentials or a bad variable prints one line and exits 1", async () => {
  const partial = await runDevToEnd({ TRUSTAUTHX_API_KEY: "key_only" });
  assert.equal(partial.code, 1);
  assert.equal(
    partial.stderr,
    "Invalid gateway configuration: missing TRUSTAUTHX_SECRET_KEY, TRUSTAUTHX_ORG_ID " +
      "(set them as environment variables or Worker secrets)\n",
  );
  assert.doesNotMatch(partial.stderr, /key_only/);
  const port = await runDevToEnd({ PORT: "eighty" });
  assert.equal(port.code, 1);
  assert.equal(port.stderr, "Invalid PORT: eighty (a port from 0 to 65535)\n");
  const ttl = await runDevToEnd({ DEMO_TOKEN_TTL_SECONDS: "soon" });
  assert.equal(ttl.code, 1);
  assert.equal(
    ttl.stderr,
    "Invalid DEMO_TOKEN_TTL_SECONDS: soon (a whole number of seconds, 1 or more)\n",
  );
});

/** A browser's cookie jar, one per host, and its navigation (redirects followed by hand). */
class Browser {
  #jars = new Map<string, Map<string, string>>();
  visited: string[] = [];

  async go(url: string, init: RequestInit = {}): Promise<Response> {
    for (let hops = 0; hops < 10; hops++) {
      this.visited.push(url);
      const host = new URL(url).host;
      const jar = this.#jars.get(host) ?? new Map<string, string>();
      this.#jars.set(host, jar);
      const headers = new Headers(init.headers);
      headers.set("accept", "text/html");
      headers.set("sec-fetch-mode", "navigate");
      if (jar.size > 0) {
        headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
      }
      const res = await fetch(url, { ...init, headers, redirect: "manual" });
      for (const line of res.headers.getSetCookie()) {
        const [pair = ""] = line.split(";");
        const at = pair.indexOf("=");
        const name = pair.slice(0, at).trim();
        const value = pair.slice(at + 1).trim();
        if (value === "" || /max-age=0/i.test(line)) jar.delete(name);
        else jar.set(name, value);
      }
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || location === null) return res;
      await res.body?.cancel();
      url = new URL(location, url).href;
      init = {};
    }
    throw new Error(`too many redirects: ${this.visited.join(" -> ")}`);
  }
}

test("npm start: a login begun at http://localhost:PORT ends signed in (one host for the login and its callback)", async () => {
  const dev = await startDev();
  try {
    const gateway = /authlite gateway\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(dev.output)?.[1];
    assert.ok(gateway);
    const browser = new Browser();
    const widget = await browser.go(`http://localhost:${gateway}/auth/login`);
    assert.equal(widget.status, 200);
    const form = new URL(browser.visited.at(-1)!);
    await widget.body?.cancel();
    const home = await browser.go(form.href, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=admin%40example.com",
    });
    await home.body?.cancel();
    const landed = new URL(browser.visited.at(-1)!);
    assert.equal(landed.search, "", `signed in, no ?error: ${browser.visited.join(" -> ")}`);
    const me = await browser.go(`${landed.origin}/auth/me`);
    assert.equal(me.status, 200);
    const body = await me.json() as { user: { email: string } };
    assert.equal(body.user.email, "admin@example.com");
    // An API caller is answered where it is: no redirect that would drop its headers.
    const api = await fetch(`http://localhost:${gateway}/health`);
    assert.equal(api.status, 200);
    await api.body?.cancel();
  } finally {
    await dev.stop();
  }
});

test("npm start with DEMO_TOKEN_TTL_SECONDS: the emulator's access tokens last that long", async () => {
  const dev = await startDev({ DEMO_TOKEN_TTL_SECONDS: "7" });
  try {
    assert.match(dev.output, /access tokens\s+last 7 s/);
    const emulator = /TrustAuthX emulator (http:\/\/127\.0\.0\.1:\d+)/.exec(dev.output)?.[1];
    const res = await fetch(`${emulator}/__emulator/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "admin@example.com" }),
    });
    const { access_token } = await res.json() as { access_token: string };
    const claims = JSON.parse(
      atob(access_token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")),
    );
    assert.equal(claims.exp - claims.iat, 7);
  } finally {
    await dev.stop();
  }
});

test("deno.ts and bun.ts: a busy PORT or partial credentials print one line and exit 1", async () => {
  const holder = await serve(() => new Response("taken"));
  const creds = { TRUSTAUTHX_API_KEY: "k", TRUSTAUTHX_SECRET_KEY: "s", TRUSTAUTHX_ORG_ID: "o" };
  try {
    for (
      const command of [
        [deno, "run", "-A", "src/runtime/deno.ts"],
        [`${root}node_modules/.bin/bun`, "src/runtime/bun.ts"],
      ]
    ) {
      const busy = await runDevToEnd(
        { ...creds, PORT: String(holder.port), HOST: "127.0.0.1", DENO_KV: "off" },
        command,
      );
      assert.equal(busy.code, 1, busy.stderr);
      assert.equal(
        busy.stderr,
        `Port ${holder.port} is in use (PORT): stop what holds it, or set PORT to a free port\n`,
      );
      const partial = await runDevToEnd({ TRUSTAUTHX_ORG_ID: "o", DENO_KV: "off" }, command);
      assert.equal(partial.code, 1, partial.stderr);
      assert.match(partial.stderr, /^Invalid gateway configuration: missing [^\n]*\n$/);
    }
  } finally {
    await holder.close();
  }
});
