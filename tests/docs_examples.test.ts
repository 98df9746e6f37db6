// The examples of README.md and of every page of docs/, run as a reader would run them.
// Each ```ts / ```js block carries a marker on the line before it (docs/testing.md, "The
// examples of the docs"); a block with none fails here:
//   <!-- example: NAME -->        saved as a file and run with `deno run -A --check`; the
//                                 published names (authlite, @authlite/authlite, ...)
//                                 resolve to this repository through deno.json's imports
//   <!-- example: NAME check -->  type-checked only (a server that would not end, a Worker)
//   <!-- npm-example: NAME -->    run from the packed tarball by tests/npm_package.test.ts;
//                                 here: parsed by Node, and its imports are published names
//   <!-- sketch: WHY -->          not run
// The tour is examples/tour.ts itself, run in place. Examples that talk to the standalone
// emulator's default URL run against the standalone emulator (src/emulator/cli.ts), started
// with the page's <!-- seed: standalone --> block.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const deno = `${root}node_modules/.bin/deno`;
const README_MAX_LINES = 250;

/** The pages: the README and every page of docs/. */
const pages = [
  "README.md",
  ...readdirSync(`${root}docs`).filter((f) => f.endsWith(".md")).sort()
    .map((f) => `docs/${f}`),
];
const text = (page: string): string => readFileSync(`${root}${page}`, "utf8");

/** What each run example must print (its last words), so a silent failure cannot pass. */
const expected: Record<string, RegExp> = {
  "tour": /ERR_INVALID_TOKEN_SET/,
  "cache-intro": /^1$/m,
  "typed-caller": /^true\nERR_BAD_INPUT$/m,
  "hono-middleware": /^Hello ada@example\.com\n401\n200\n403 ERR_FORBIDDEN$/m,
  "emulator-in-process": /^false\nfailed\n3$/m,
  "standalone": /^ada@example\.com \[ "rol_admin" \]\ntrue\n2$/m,
  "standalone-official-sdk": /^uid_ada true$/m,
  "hono-auth-routes": /^302 \/widget\/login\/\n401\n401$/m,
};
/** The examples that are only type-checked. */
const checked = ["client-options", "gateway-app", "worker-own", "operating-telemetry"];
/** The npm examples tests/npm_package.test.ts runs from the tarball. */
const npmExamples = ["node", "node-first"];

/** Examples that are files of the repository, run in place. */
const files: Record<string, string> = { "tour": "examples/tour.ts" };
const STANDALONE = "http://127.0.0.1:8788";

interface Block {
  page: string;
  line: number;
  lang: string;
  marker: string | undefined;
  code: string;
}

function blocks(): Block[] {
  const found: Block[] = [];
  for (const page of pages) {
    const lines = text(page).split("\n");
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(\w*)\s*$/.exec(lines[i]!);
      if (open === null) continue;
      let end = i + 1;
      while (end < lines.length && lines[end] !== "```") end++;
      const before = lines[i - 1] ?? "";
      const marker = /^<!-- (.*) -->$/.exec(before)?.[1];
      found.push({
        page,
        line: i + 1,
        lang: open[1]!,
        marker,
        code: lines.slice(i + 1, end).join("\n"),
      });
      i = end;
    }
  }
  return found;
}

/** The marked examples by name: `example: NAME [check]` and `npm-example: NAME`. */
function examples(kind: "example" | "npm-example"): Map<string, Block & { check: boolean }> {
  const found = new Map<string, Block & { check: boolean }>();
  for (const b of blocks()) {
    const m = /^(example|npm-example): ([\w-]+)( check)?$/.exec(b.marker ?? "");
    if (m === null || m[1] !== kind) continue;
    assert.ok(!found.has(m[2]!), `two examples named ${m[2]} (${b.page}:${b.line})`);
    found.set(m[2]!, { ...b, check: m[3] !== undefined });
  }
  return found;
}

function exec(args: string[], cmd = deno): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: root, env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        resolve({ code, out: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** The standalone emulator, started once with the seed of the page, on a free port. */
let emulator: Promise<{ url: string; stop: () => Promise<void> }> | undefined;
function startEmulator(page: string): Promise<{ url: string; stop: () => Promise<void> }> {
  emulator ??= new Promise((resolve, reject) => {
    const seed = /<!-- seed: standalone -->\n```json\n([\s\S]*?)\n```/.exec(text(page))?.[1];
    if (seed === undefined) return reject(new Error(`no seed block in ${page}`));
    mkdirSync(`${root}.tmp/docs-examples`, { recursive: true });
    writeFileSync(`${root}.tmp/docs-examples/seed.json`, seed);
    const child = spawn(deno, [
      "run",
      "-A",
      "src/emulator/cli.ts",
      "--port",
      "0",
      "--seed",
      ".tmp/docs-examples/seed.json",
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

/** Save an example as a file under .tmp/docs-examples/. */
function save(name: string, block: Block, code = block.code): string {
  const dir = `${root}.tmp/docs-examples`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${name}.${block.lang === "js" ? "mjs" : "ts"}`;
  writeFileSync(file, code);
  return file;
}

test("README.md is a front page of at most 250 lines; docs/ has a page per concern", () => {
  const lines = text("README.md").split("\n").length;
  assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines`);
  for (
    const page of [
      "client",
      "cache",
      "gateway",
      "hono",
      "workers",
      "emulator",
      "security",
      "performance",
      "testing",
      "wire-protocol",
    ]
  ) {
    assert.ok(pages.includes(`docs/${page}.md`), `docs/${page}.md is missing`);
  }
  // The README opens with the Node example (after the entries' table).
  const first = blocks().find((b) => b.page === "README.md" && /^(js|ts)$/.test(b.lang));
  assert.equal(first?.marker, "npm-example: node-first");
  assert.match(first?.code ?? "", /from "@hono\/node-server"/);
  assert.match(text("README.md"), /npm install authlite hono @hono\/node-server/);
});

test("every ts and js block of README.md and docs/ is an example, an npm example or a sketch", () => {
  const unmarked = blocks().filter((b) =>
    /^(ts|js|typescript|javascript|tsx|jsx)$/.test(b.lang) &&
    !/^(example: [\w-]+( check)?|npm-example: [\w-]+|sketch: .+)$/.test(b.marker ?? "")
  ).map((b) => `${b.page}:${b.line}`);
  assert.deepEqual(unmarked, []);
});

test("the docs know every example this test knows, and no other", () => {
  const names = [...examples("example")].map(([name, b]) => `${name}${b.check ? " check" : ""}`);
  const known = [
    ...Object.keys(expected),
    ...checked.map((n) => `${n} check`),
  ];
  assert.deepEqual(names.sort(), known.sort());
  assert.deepEqual([...examples("npm-example").keys()].sort(), [...npmExamples].sort());
});

test("examples import the package by its published names", () => {
  const allowed =
    /^(authlite(\/(rpc|gateway|hono|web|emulator))?|@authlite\/authlite(\/(rpc|gateway|hono|web|emulator))?|hono(\/[\w-]+)?|@hono\/node-server|trustauthx|node:[\w/]+)$/;
  for (const kind of ["example", "npm-example"] as const) {
    for (const [name, b] of examples(kind)) {
      const specifiers = [...b.code.matchAll(/\bfrom\s+"([^"]+)"/g)].map((m) => m[1]!);
      for (const s of specifiers) {
        assert.match(s, allowed, `${b.page}:${b.line} (${name}) imports ${s}`);
      }
      if (kind === "npm-example") {
        const npmOnly = specifiers.filter((s) => s.startsWith("@authlite/"));
        assert.deepEqual(npmOnly, [], `${name}: npm examples import npm names`);
      }
    }
  }
});

test("every link of README.md and docs/ leads to a file and a heading that exist", () => {
  const slug = (heading: string) =>
    heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
  const anchors = (page: string) =>
    new Set(
      text(page).split("\n").filter((l) => /^#{1,6} /.test(l)).map((l) =>
        slug(l.replace(/^#+ /, ""))
      ),
    );
  const broken: string[] = [];
  for (const page of pages) {
    const dir = page.includes("/") ? page.slice(0, page.lastIndexOf("/") + 1) : "";
    // Links in prose only: a fenced block is code (`[record.level](record)` is no link).
    const prose = text(page).replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      const [path = "", anchor] = target.split("#");
      const file = path === "" ? page : new URL(path, `file:///${dir}`).pathname.slice(1);
      if (!existsSync(`${root}${file}`)) {
        broken.push(`${page}: ${target}`);
      } else if (anchor !== undefined && file.endsWith(".md") && !anchors(file).has(anchor)) {
        broken.push(`${page}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

test("the tour is examples/tour.ts, the seed examples/seed.json, and deno fmt leaves them as they are", async () => {
  assert.equal(
    examples("example").get("tour")?.code,
    readFileSync(`${root}examples/tour.ts`, "utf8").trimEnd(),
  );
  assert.equal(
    /<!-- seed: standalone -->\n```json\n([\s\S]*?)\n```/.exec(text("docs/emulator.md"))?.[1],
    readFileSync(`${root}examples/seed.json`, "utf8").trimEnd(),
  );
  const r = await exec(["fmt", "--check", "examples/"]);
  assert.equal(r.code, 0, `deno fmt --check examples/\n${r.out}`);
});

test("the type-checked examples type-check", async () => {
  const all = examples("example");
  const targets = checked.map((name) => {
    const b = all.get(name);
    assert.ok(b, `no example ${name}`);
    return save(name, b);
  });
  const r = await exec(["check", ...targets]);
  assert.equal(r.code, 0, r.out);
});

test("the npm examples parse, for tests/npm_package.test.ts to run from the tarball", async () => {
  for (const [name, b] of examples("npm-example")) {
    const r = await exec(["--check", save(`npm-${name}`, { ...b, lang: "js" })], "node");
    assert.equal(r.code, 0, `${b.page}:${b.line} (${name})\n${r.out}`);
  }
});

for (const [name, pattern] of Object.entries(expected)) {
  test(`example "${name}" runs and prints what it says`, async () => {
    const b = examples("example").get(name);
    assert.ok(b, `no example ${name}`);
    let file = files[name] === undefined ? undefined : `${root}${files[name]}`;
    if (file === undefined) {
      let code = b.code;
      if (code.includes(STANDALONE)) {
        code = code.replaceAll(STANDALONE, (await startEmulator(b.page)).url);
      }
      file = save(name, b, code);
    }
    const r = await exec(["run", "-A", "--check", file]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.out}`);
    assert.match(r.out, pattern);
  });
}
