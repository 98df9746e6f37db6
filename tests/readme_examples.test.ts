// The README's runnable examples, run as a reader would run them: each block
// marked `<!-- example: NAME -->` is saved as a file and run with `deno run`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const deno = `${root}node_modules/.bin/deno`;
const readme = readFileSync(`${root}README.md`, "utf8");

/** What each example must print (its last words), so a silent failure cannot pass. */
const expected: Record<string, RegExp> = {
  "tour": /ERR_INVALID_TOKEN_SET/,
  "typed-caller": /^true\nERR_BAD_INPUT$/m,
  "hono-middleware": /^Hello ada@example\.com\n401\n200\n403 ERR_FORBIDDEN$/m,
};

function examples(): Map<string, string> {
  const found = new Map<string, string>();
  const marker = /<!-- example: ([\w-]+) -->\n```ts\n([\s\S]*?)\n```/g;
  for (const match of readme.matchAll(marker)) found.set(match[1]!, match[2]!);
  return found;
}

function run(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      deno,
      ["run", "-A", "--check", file],
      { cwd: root, env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

test("README.md has every runnable example this test knows, and no other", () => {
  assert.deepEqual([...examples().keys()].sort(), Object.keys(expected).sort());
});

for (const [name, pattern] of Object.entries(expected)) {
  test(`README example "${name}" runs against the emulator and prints what it says`, async () => {
    const code = examples().get(name);
    assert.ok(code, `no example ${name} in README.md`);
    const dir = `${root}.tmp/readme`;
    mkdirSync(dir, { recursive: true });
    const file = `${dir}/${name}.ts`;
    // The examples import "./mod.ts" as if saved at the root of the repository.
    writeFileSync(file, code.replaceAll(`from "./`, `from "../../`));
    const result = await run(file);
    assert.equal(result.code, 0, `exit ${result.code}\n${result.stderr}\n${result.stdout}`);
    assert.match(result.stdout, pattern);
  });
}
