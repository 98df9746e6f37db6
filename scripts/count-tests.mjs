#!/usr/bin/env node
/**
 * Runs test files under one runner and counts their test cases, so that no
 * failure can pass unseen. Used by `scripts/test.sh`; tested by
 * `tests/test_command.test.ts` on the fixtures in `tests/fixtures/runner/`.
 *
 *   node scripts/count-tests.mjs deno|bun [--out DIR] [--runner-arg ARG]... FILE...
 *   node scripts/count-tests.mjs --compare DIR_A DIR_B
 *
 * - deno: each file in its own `deno test`, with `scripts/deno-test-preload.ts`
 *   (uncaught errors, rejections and top-level throws fail a test) and a JUnit report;
 * - bun: one `bun test` of all the files, with a JUnit report.
 *
 * It counts the individual cases of the reports (each `test`/`it`, inside
 * `describe` bodies too; a `describe` itself is not a case) and adds a failure for:
 * a runner that exits non-zero with no failed case, Bun's `N error` line, Deno's
 * `failed` count and `ERRORS` section, a run that printed no summary, a summary
 * that disagrees with the report, and a file that ran fewer cases than it declares
 * (its `test(`/`it(` calls from `node:test`, read with the TypeScript parser).
 *
 * Prints the runner's output, one `FAIL ...` line per problem, one `skip ...` line
 * per skipped case, then `<runner>: N passed, N failed, N skipped`; writes
 * `N N N` (passed, failed, skipped) to DIR/counts and the cases each file ran to
 * DIR/ran.json. Exits 1 when anything failed. `--compare` then checks that two
 * runners ran as many cases in each file (one `FAIL` line per file that differs).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PRELOAD = join(ROOT, "scripts", "deno-test-preload.ts");
/** The check `scripts/deno-test-preload.ts` adds after the last test of each file. */
export const LAST_CHECK = "(after the last test: no uncaught error)";

// ---------------------------------------------------------------- JUnit XML

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) => {
    if (e[0] === "#") {
      return String.fromCodePoint(
        e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : +e.slice(1),
      );
    }
    return ENTITIES[e] ?? m;
  });
}

/**
 * Parses the elements of a JUnit report into a tree of {name, attrs, children}.
 * Text is dropped: only `testsuite`, `testcase`, `failure`, `error`, `skipped` matter.
 *
 * @param {string} xml
 * @returns {{name: string, attrs: Record<string, string>, children: any[]}}
 */
export function parseXml(xml) {
  const root = { name: "#root", attrs: {}, children: [] };
  const stack = [root];
  const tag =
    /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g;
  for (const m of xml.matchAll(tag)) {
    if (m[2] === undefined) continue; // CDATA, comment, declaration
    const top = stack[stack.length - 1];
    if (m[1] === "/") {
      if (top.name !== m[2]) {
        throw new Error(`Malformed JUnit report: </${m[2]}> closes <${top.name}>`);
      }
      stack.pop();
      continue;
    }
    const attrs = {};
    for (const a of m[3].matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attrs[a[1]] = unescapeXml(a[2] ?? a[3]);
    }
    const el = { name: m[2], attrs, children: [] };
    top.children.push(el);
    if (m[4] !== "/") stack.push(el);
  }
  if (stack.length !== 1) {
    throw new Error(`Malformed JUnit report: <${stack[stack.length - 1].name}> not closed`);
  }
  return root;
}

function statusOf(testcase) {
  if (testcase.children.some((c) => c.name === "failure" || c.name === "error")) return "failed";
  if (testcase.children.some((c) => c.name === "skipped")) return "skipped";
  return "passed";
}

/**
 * The cases of a Deno JUnit report of one test file. Deno lists a `describe` as a
 * test and its `it`/`test` as steps named `group > case` (in a suite of its own,
 * `ext:deno_node/testing.ts`); a name with steps under it is a group, not a case.
 *
 * @param {string} xml
 * @returns {{cases: Array<{name: string, status: string}>, groupFailures: string[], topFailed: number}}
 */
export function denoCases(xml) {
  const all = [];
  for (const suite of parseXml(xml).children.flatMap((t) => t.children)) {
    if (suite.name !== "testsuite") continue;
    const top = !(suite.attrs.name ?? "").startsWith("ext:");
    for (const tc of suite.children) {
      if (tc.name === "testcase") {
        all.push({ name: tc.attrs.name ?? "", status: statusOf(tc), top });
      }
    }
  }
  const isGroup = (n) => all.some((o) => !o.top && o.name.startsWith(`${n} > `));
  const cases = all.filter((c) => !isGroup(c.name)).map(({ name, status }) => ({ name, status }));
  // A failed group none of whose cases failed: a hook (before/after) or the group's own body threw.
  const groupFailures = all
    .filter((g) => g.status === "failed" && isGroup(g.name))
    .filter((g) => !cases.some((c) => c.status === "failed" && c.name.startsWith(`${g.name} > `)))
    .map((g) => g.name);
  const topFailed = all.filter((c) => c.top && c.status === "failed").length;
  return { cases, groupFailures, topFailed };
}

/**
 * The cases of a Bun JUnit report, by file (nested `testsuite`s are `describe`s).
 *
 * @param {string} xml
 * @returns {Array<{file: string, name: string, status: string}>}
 */
export function bunCases(xml) {
  const out = [];
  const walk = (el, file, path) => {
    for (const c of el.children) {
      if (c.name === "testsuites") walk(c, file, path);
      else if (c.name === "testsuite") {
        // A suite right under <testsuites> is a file; one inside a suite is a describe.
        if (el.name === "testsuite") walk(c, file, [...path, c.attrs.name ?? ""]);
        else walk(c, c.attrs.file ?? c.attrs.name ?? "", []);
      } else if (c.name === "testcase") {
        out.push({
          file: normalise(c.attrs.file ?? file ?? ""),
          name: [...path, c.attrs.name ?? ""].join(" > "),
          status: statusOf(c),
        });
      }
    }
  };
  walk(parseXml(xml), undefined, []);
  return out;
}

// ---------------------------------------------------------------- declared cases

/**
 * What a file declares: its calls of `test`/`it` (and `.skip`, `.only`, `.todo`)
 * imported from `node:test`, wherever they are (a `describe` body included; a call
 * in a loop counts once: the file must run at least this many), and its `describe`s
 * skipped with a literal (`describe.skip(...)`, `{ skip: "reason" }`, `{ skip: true }`),
 * whose cases are not counted: Deno reports such a group as one skipped case, Bun
 * not at all (it is then counted as one skip for Bun too). A skip that depends on
 * the runtime belongs on each test, not on a `describe`.
 *
 * @param {string} source
 * @param {string} [fileName]
 * @returns {Promise<{cases: number, skippedGroups: string[]}>}
 */
export async function declared(source, fileName = "test.ts") {
  const ts = (await import("typescript")).default;
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const tests = new Set();
  const groups = new Set();
  for (const st of sf.statements) {
    if (
      ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) &&
      (st.moduleSpecifier.text === "node:test" || st.moduleSpecifier.text === "bun:test")
    ) {
      const b = st.importClause?.namedBindings;
      if (b && ts.isNamedImports(b)) {
        for (const el of b.elements) {
          const imported = (el.propertyName ?? el.name).text;
          if (imported === "test" || imported === "it") tests.add(el.name.text);
          if (imported === "describe" || imported === "suite") groups.add(el.name.text);
        }
      }
    }
  }
  const literalSkip = (options) =>
    options !== undefined && ts.isObjectLiteralExpression(options) &&
    options.properties.some((p) =>
      ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) &&
      (p.name.text === "skip" || p.name.text === "todo") &&
      (ts.isStringLiteral(p.initializer) || ts.isNoSubstitutionTemplateLiteral(p.initializer) ||
        p.initializer.kind === ts.SyntaxKind.TrueKeyword)
    );
  let cases = 0;
  const skippedGroups = [];
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      let callee = node.expression;
      let modifier;
      if (
        ts.isPropertyAccessExpression(callee) && ["skip", "only", "todo"].includes(callee.name.text)
      ) {
        modifier = callee.name.text;
        callee = callee.expression;
      }
      if (ts.isIdentifier(callee) && tests.has(callee.text)) cases++;
      if (
        ts.isIdentifier(callee) && groups.has(callee.text) &&
        (modifier === "skip" || modifier === "todo" || literalSkip(node.arguments[1]))
      ) {
        const name = node.arguments[0];
        skippedGroups.push(
          name !== undefined &&
            (ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name))
            ? name.text
            : "(a skipped describe)",
        );
        return; // its cases never run
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { cases, skippedGroups };
}

/**
 * How many test cases a file declares (see {@link declared}).
 *
 * @param {string} source
 * @param {string} [fileName]
 * @returns {Promise<number>}
 */
export async function declaredCases(source, fileName = "test.ts") {
  return (await declared(source, fileName)).cases;
}

// ---------------------------------------------------------------- counting

/** The files under whose heading Bun's output shows "# Unhandled error between tests". */
function unhandledErrorFiles(log) {
  const files = [];
  let file = "";
  for (const line of log.split("\n")) {
    const heading = /^(\S+\.[cm]?[jt]sx?):$/.exec(line);
    if (heading) file = normalise(heading[1]);
    else if (line.startsWith("# Unhandled error between tests") && !files.includes(file)) {
      files.push(file);
    }
  }
  return files;
}

function normalise(file) {
  return relative(ROOT, resolve(ROOT, file)).split("\\").join("/");
}

/**
 * Counts one runner's results.
 *
 * @param {object} run
 * @param {"deno"|"bun"} run.runner
 * @param {Array<{file: string, declared: number, junit: string | null, log: string, exit: number}>} run.runs
 *   deno: one entry per file; bun: one entry for all files (`file` is then "*")
 * @param {Array<{file: string, declared: number, skippedGroups?: string[]}>} run.files
 *   every file that was run, with what it declares
 * @returns {{passed: number, failed: number, skipped: number, problems: string[], skips: string[], ran: Record<string, number>}}
 */
export function count({ runner, runs, files }) {
  let passed = 0, failed = 0, skipped = 0;
  const problems = [];
  const skips = [];
  const ranByFile = new Map(files.map((f) => [f.file, 0]));
  const fail = (n, why) => {
    failed += n;
    problems.push(why);
  };

  for (const r of runs) {
    const where = r.file === "*" ? `${runner} test` : `${runner} test ${r.file}`;
    const failedBefore = failed;
    let cases = [];
    let groupFailures = [];
    let topFailed = 0;
    if (r.junit === null) {
      fail(1, `${where}: wrote no JUnit report`);
    } else {
      try {
        if (runner === "deno") {
          ({ cases, groupFailures, topFailed } = denoCases(r.junit));
          cases = cases.map((c) => ({ ...c, file: r.file }));
        } else cases = bunCases(r.junit);
      } catch (e) {
        fail(1, `${where}: unreadable JUnit report: ${e.message}`);
      }
    }
    let p = 0, f = 0, s = 0;
    for (const c of cases) {
      if (c.name === LAST_CHECK && runner === "deno") {
        if (c.status === "failed") {
          f++, problems.push(`${c.file}: an uncaught error after the last test`);
        }
        continue;
      }
      if (c.status === "passed") p++;
      else if (c.status === "failed") f++, problems.push(`${c.file}: ${c.name}`);
      else s++, skips.push(`${c.file}: ${c.name}`);
      ranByFile.set(c.file, (ranByFile.get(c.file) ?? 0) + 1);
    }
    for (const g of groupFailures) {
      f++, problems.push(`${r.file}: ${g} (a hook or the describe body failed)`);
    }
    passed += p;
    failed += f;
    skipped += s;

    if (runner === "deno") {
      // ok | 3 passed (5 steps) | 0 failed | 1 ignored (1 step) (16ms)
      const line = r.log.split("\n").map((l) => l.trim()).filter((l) =>
        /^(ok|FAILED) \| \d+ passed/.test(l)
      ).pop();
      if (line === undefined) fail(1, `${where}: printed no summary`);
      else {
        const sumFailed = Number(/\| (\d+) failed/.exec(line)?.[1] ?? NaN);
        if (!(sumFailed <= topFailed)) {
          fail(
            Math.max(1, sumFailed - topFailed),
            `${where}: its summary says ${sumFailed} failed: ${line}`,
          );
        }
      }
      if (/^ ERRORS $/m.test(r.log) && f === 0) fail(1, `${where}: printed ERRORS`);
    } else {
      const num = (word) => {
        const m = [...r.log.matchAll(new RegExp(`^\\s*(\\d+) ${word}$`, "gm"))].pop();
        return m === undefined ? undefined : Number(m[1]);
      };
      const sp = num("pass"), sf = num("fail"), se = num("errors?");
      if (sp === undefined || sf === undefined) fail(1, `${where}: printed no summary`);
      else {
        if (sf > f) fail(sf - f, `${where}: its summary says ${sf} fail, its report ${f}`);
        if (sp !== p) fail(1, `${where}: its summary says ${sp} pass, its report ${p}`);
      }
      if (se !== undefined && se > 0) {
        const where2 = unhandledErrorFiles(r.log);
        fail(
          se,
          `${where}: ${se} ${se === 1 ? "error" : "errors"} outside any test (a hook, a timer, ` +
            `top-level code)${where2.length > 0 ? `: ${where2.join(", ")}` : ""}`,
        );
      }
    }
    if (r.exit !== 0 && failed === failedBefore) fail(1, `${where}: exited with ${r.exit}`);
  }

  if (runner === "bun") {
    // Bun reports nothing of a skipped describe; Deno reports it as one skipped case.
    for (const { file, skippedGroups = [] } of files) {
      for (const g of skippedGroups) {
        skipped++;
        skips.push(`${file}: ${g} (a skipped describe)`);
        ranByFile.set(file, (ranByFile.get(file) ?? 0) + 1);
      }
    }
  }
  for (const { file, declared } of files) {
    const ran = ranByFile.get(file) ?? 0;
    if (ran < declared) fail(1, `${file}: ran ${ran} of the ${declared} test cases it declares`);
  }
  return { passed, failed, skipped, problems, skips, ran: Object.fromEntries(ranByFile) };
}

/**
 * Compares the cases each file ran under two runners: a file must run as many under
 * both (skips included), or one of them lost some.
 *
 * @param {Record<string, number>} a the cases per file under one runner
 * @param {Record<string, number>} b the same under the other
 * @param {[string, string]} names the two runners
 * @returns {string[]} one problem per file that differs
 */
export function compareRuns(a, b, [nameA, nameB]) {
  const problems = [];
  for (const file of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if ((a[file] ?? 0) !== (b[file] ?? 0)) {
      problems.push(
        `${file}: ran ${a[file] ?? 0} cases under ${nameA}, ${b[file] ?? 0} under ${nameB}`,
      );
    }
  }
  return problems;
}

// ---------------------------------------------------------------- running

function runTee(cmd, args, logFile, env) {
  return new Promise((resolvePromise) => {
    const chunks = [];
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const take = (stream, out) =>
      stream.on("data", (d) => {
        chunks.push(d);
        out.write(d);
      });
    take(child.stdout, process.stdout);
    take(child.stderr, process.stdout);
    child.once("error", (err) => {
      chunks.push(Buffer.from(`\nCannot run ${cmd}: ${err.message}\n`));
    });
    child.once("close", (code, signal) => {
      const log = Buffer.concat(chunks).toString("utf8");
      writeFileSync(logFile, log);
      resolvePromise({ log, exit: code ?? (signal ? 128 : 1) });
    });
  });
}

function readOrNull(file) {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/**
 * Runs the files under one runner and counts them.
 *
 * @param {"deno"|"bun"} runner
 * @param {string[]} fileArgs
 * @param {{out: string, runnerArgs?: string[], env?: NodeJS.ProcessEnv}} options
 */
export async function runAndCount(runner, fileArgs, { out, runnerArgs = [], env = process.env }) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files = [];
  for (const f of fileArgs) {
    const file = normalise(f);
    const d = await declared(readFileSync(join(ROOT, file), "utf8"), file);
    files.push({ file, declared: d.cases, skippedGroups: d.skippedGroups });
  }
  const runs = [];
  if (runner === "deno") {
    for (const { file, declared } of files) {
      const id = basename(file).replace(/[^\w.-]/g, "_");
      const junit = join(out, `${id}.xml`);
      const { log, exit } = await runTee(
        "deno",
        [
          "test",
          "-A",
          "--no-check",
          `--preload=${pathToFileURL(PRELOAD).href}`,
          `--junit-path=${junit}`,
          ...runnerArgs,
          file,
        ],
        join(out, `${id}.log`),
        env,
      );
      runs.push({ file, declared, junit: readOrNull(junit), log, exit });
    }
  } else if (runner === "bun") {
    const junit = join(out, "bun.xml");
    const { log, exit } = await runTee(
      "bun",
      [
        "test",
        "--reporter=junit",
        `--reporter-outfile=${junit}`,
        ...runnerArgs,
        ...files.map((f) => `./${f.file}`),
      ],
      join(out, "bun.log"),
      env,
    );
    runs.push({ file: "*", declared: 0, junit: readOrNull(junit), log, exit });
  } else throw new Error(`Unknown runner: ${runner}`);
  return count({ runner, runs, files });
}

async function main(argv) {
  const [runner, ...rest] = argv;
  if (runner === "--compare") {
    // node scripts/count-tests.mjs --compare DIR_A DIR_B: both runners ran every file alike.
    const [dirA, dirB] = rest;
    const read = (dir) => JSON.parse(readFileSync(join(dir, "ran.json"), "utf8"));
    const a = read(dirA), b = read(dirB);
    const problems = compareRuns(a.ran, b.ran, [a.runner, b.runner]);
    for (const p of problems) console.log(`FAIL ${p}`);
    console.log(`${a.runner} and ${b.runner}: ${problems.length} files ran differently`);
    return problems.length === 0 ? 0 : 1;
  }
  let out = join(ROOT, ".tmp", `${runner}-test`);
  const runnerArgs = [];
  const files = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--out") out = resolve(rest[++i]);
    else if (rest[i] === "--runner-arg") runnerArgs.push(rest[++i]);
    else files.push(rest[i]);
  }
  if ((runner !== "deno" && runner !== "bun") || files.length === 0) {
    console.error(
      "Usage: node scripts/count-tests.mjs deno|bun [--out DIR] [--runner-arg ARG]... FILE...",
    );
    return 2;
  }
  const r = await runAndCount(runner, files, { out, runnerArgs });
  console.log(`\n== ${runner} test: counted`);
  for (const s of r.skips) console.log(`skip ${s}`);
  for (const p of r.problems) console.log(`FAIL ${p}`);
  console.log(`${runner}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
  writeFileSync(join(out, "ran.json"), JSON.stringify({ runner, ran: r.ran }));
  writeFileSync(join(out, "counts"), `${r.passed} ${r.failed} ${r.skipped}\n`);
  return r.failed === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
