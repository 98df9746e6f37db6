// The README's runnable examples, run as a reader would run them: each block
// marked `<!-- example: NAME -->` is saved as a file and run with `deno run`.
// The tour is `examples/tour.ts` itself: the block must be that file, and the
// file is run where it is. The standalone-emulator examples run against the
// standalone emulator (`src/emulator/cli.ts`), started with the README's seed.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
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
  "standalone": /^ada@example\.com \[ "rol_admin" \]\ntrue\n2$/m,
  "standalone-official-sdk": /^uid_ada true$/m,
};

/** Examples that are files of the repository, run in place. */
const files: Record<string, string> = { "tour": "examples/tour.ts" };

/** Examples that talk to the standalone emulator at its default URL. */
const STANDALONE = "http://127.0.0.1:8788";
const standalone = new Set(["standalone", "standalone-official-sdk"]);

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

/** The standalone emulator, started once with the README's seed, on a free port. */
let emulator: Promise<{ url: string; stop: () => Promise<void> }> | undefined;
function startEmulator(): Promise<{ url: string; stop: () => Promise<void> }> {
  emulator ??= new Promise((resolve, reject) => {
    const seed = /<!-- seed: standalone -->\n```json\n([\s\S]*?)\n```/.exec(readme)?.[1];
    if (seed === undefined) return reject(new Error("no seed block in README.md"));
    mkdirSync(`${root}.tmp/readme`, { recursive: true });
    writeFileSync(`${root}.tmp/readme/seed.json`, seed);
    const child = spawn(deno, [
      "run",
      "-A",
      "src/emulator/cli.ts",
      "--port",
      "0",
      "--seed",
      ".tmp/readme/seed.json",
    ], { cwd: root, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<void>((done) => child.on("exit", () => done()));
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url !== undefined) {
        resolve({
          url,
          stop: async () => {
            child.kill("SIGTERM");
            await exited;
          },
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`the emulator exited with ${code}:\n${output}`)));
  });
  return emulator;
}

after(async () => {
  if (emulator !== undefined) await (await emulator).stop();
});

test("README.md has every runnable example this test knows, and no other", () => {
  assert.deepEqual([...examples().keys()].sort(), Object.keys(expected).sort());
});

test("README.md's tour is examples/tour.ts, its seed examples/seed.json, and deno fmt leaves them as they are", async () => {
  assert.equal(examples().get("tour"), readFileSync(`${root}examples/tour.ts`, "utf8").trimEnd());
  assert.equal(
    /<!-- seed: standalone -->\n```json\n([\s\S]*?)\n```/.exec(readme)?.[1],
    readFileSync(`${root}examples/seed.json`, "utf8").trimEnd(),
  );
  const code = await new Promise<number>((resolve) => {
    execFile(deno, ["fmt", "--check", "examples/"], { cwd: root }, (err) => {
      resolve(err === null ? 0 : typeof err.code === "number" ? err.code : 1);
    });
  });
  assert.equal(code, 0, "deno fmt --check examples/");
});

for (const [name, pattern] of Object.entries(expected)) {
  test(`README example "${name}" runs against the emulator and prints what it says`, async () => {
    let code = examples().get(name);
    assert.ok(code, `no example ${name} in README.md`);
    let file = files[name] === undefined ? undefined : `${root}${files[name]}`;
    if (file === undefined) {
      const dir = `${root}.tmp/readme`;
      mkdirSync(dir, { recursive: true });
      file = `${dir}/${name}.ts`;
      if (standalone.has(name)) {
        assert.ok(code.includes(STANDALONE), `${name} talks to ${STANDALONE}`);
        code = code.replaceAll(STANDALONE, (await startEmulator()).url);
      }
      // The other examples import "./mod.ts" as if saved at the root of the repository.
      writeFileSync(file, code.replaceAll(`from "./`, `from "../../`));
    }
    const result = await run(file);
    assert.equal(result.code, 0, `exit ${result.code}\n${result.stderr}\n${result.stdout}`);
    assert.match(result.stdout, pattern);
  });
}
