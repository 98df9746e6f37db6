// `npm start` (src/runtime/dev.ts): the gateway with the embedded emulator,
// started as a user starts it, in its own process, and used over HTTP.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const deno = `${root}node_modules/.bin/deno`;

/** Start dev.ts on ephemeral ports; resolve with what it printed once it is listening. */
function startDev(): Promise<{ output: string; stop: () => Promise<void> }> {
  const child = spawn(deno, ["run", "-A", "src/runtime/dev.ts"], {
    cwd: root,
    env: { ...process.env, PORT: "0", NO_COLOR: "1" },
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
