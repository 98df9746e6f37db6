// Issue 18, misconfiguration is loud and early: `npm start` (dev.ts), deno.ts
// and bun.ts make one signed call upstream at start; credentials TrustAuthX
// rejects stop them with one line naming the variable to fix, no stack, exit
// code 1, and no secret printed. Seen failing before the check (each started
// and printed its URL).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DEMO_ORG } from "../src/emulator/mod.ts";
import { createEmulator } from "../src/emulator/mod.ts";
import { serve } from "./_serve.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => `${root}node_modules/.bin/${name}`;

const WRONG_SECRET = "wrong-secret-key-that-must-not-be-printed";
const WRONG_API_KEY = "wrong-api-key-that-must-not-be-printed";

/** Run an entry until it exits or prints that it listens; its output and exit code. */
function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; stderr: string }> {
  const base: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  for (const k of Object.keys(base)) if (k.startsWith("TRUSTAUTHX_")) delete base[k];
  const child = spawn(command, args, {
    cwd: root,
    env: { ...base, PORT: "0", HOST: "127.0.0.1", DENO_KV: "off", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stderr = "";
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // Started after all: stop it (the test then fails on the exit code).
      if (/authlite gateway/.test(output)) child.kill("SIGTERM");
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      onData(chunk);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output, stderr });
    });
  });
}

const ENTRIES: [string, string, string[]][] = [
  ["npm start (dev.ts)", bin("deno"), ["run", "-A", "src/runtime/dev.ts"]],
  ["deno.ts", bin("deno"), ["run", "-A", "src/runtime/deno.ts"]],
  ["bun.ts", bin("bun"), ["src/runtime/bun.ts"]],
];

for (
  const [what, secretKey, apiKey, variable] of [
    ["a wrong secret key", WRONG_SECRET, DEMO_ORG.apiKey, "TRUSTAUTHX_SECRET_KEY"],
    ["a wrong API key", DEMO_ORG.secretKey, WRONG_API_KEY, "TRUSTAUTHX_API_KEY"],
  ] as const
) {
  test(`npm start, deno.ts and bun.ts with ${what} print one line naming ${variable}, and exit 1`, async () => {
    const emu = createEmulator();
    const upstream = await serve(emu.fetch);
    try {
      const results = await Promise.all(ENTRIES.map(([, command, args]) =>
        run(command, args, {
          TRUSTAUTHX_API_KEY: apiKey,
          TRUSTAUTHX_SECRET_KEY: secretKey,
          TRUSTAUTHX_ORG_ID: DEMO_ORG.orgId,
          TRUSTAUTHX_BASE_URL: upstream.url,
        })
      ));
      results.forEach((r, i) => {
        const name = ENTRIES[i]![0];
        assert.equal(r.code, 1, `${name} exit code; output:\n${r.output}`);
        const lines = r.stderr.trim().split("\n");
        assert.equal(lines.length, 1, `${name}: one line, no stack:\n${r.stderr}`);
        assert.match(lines[0]!, new RegExp(variable), name);
        assert.match(lines[0]!, /rejected/, name);
        for (const secret of [WRONG_SECRET, WRONG_API_KEY, DEMO_ORG.secretKey]) {
          assert.ok(!r.output.includes(secret), `${name} printed a secret`);
        }
      });
      assert.ok(emu.requests().total >= ENTRIES.length, "each made its signed call");
    } finally {
      await upstream.close();
    }
  });
}
