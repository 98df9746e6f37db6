import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareRuns, count, declaredCases } from "../scripts/count-tests.mjs";

// The counting logic of `npm test` (scripts/count-tests.mjs, which scripts/test.sh runs
// once per runner), run for real on the small files of tests/fixtures/runner/.

const FIXTURES = "tests/fixtures/runner";
// Each test runs deno or bun in child processes: more than bun's default of 5 s per test
// on a busy machine.
const SLOW = { timeout: 120_000 };

interface Counted {
  exit: number;
  passed: number;
  failed: number;
  skipped: number;
  output: string;
}

/** Run `node scripts/count-tests.mjs <runner> <fixtures>` and read what it counted. */
async function countFixtures(
  runner: "deno" | "bun",
  fixtures: string[],
  options: { env?: Record<string, string>; runnerArgs?: string[] } = {},
): Promise<Counted> {
  const out = await mkdtemp(join(tmpdir(), "count-tests-"));
  try {
    const args = ["scripts/count-tests.mjs", runner, "--out", out];
    for (const a of options.runnerArgs ?? []) args.push("--runner-arg", a);
    args.push(...fixtures.map((f) => `${FIXTURES}/${f}`));
    const env = { ...process.env, NO_COLOR: "1", ...options.env };
    const { exit, output } = await new Promise<{ exit: number; output: string }>(
      (resolve, reject) => {
        const child = spawn("node", args, { env, stdio: ["ignore", "pipe", "pipe"] });
        const chunks: Uint8Array[] = [];
        child.stdout.on("data", (d: Uint8Array) => chunks.push(d));
        child.stderr.on("data", (d: Uint8Array) => chunks.push(d));
        child.once("error", reject);
        child.once(
          "close",
          (code: number | null) =>
            resolve({ exit: code ?? 1, output: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    const counts = (await readFile(join(out, "counts"), "utf8")).trim().split(" ").map(Number);
    const [passed = NaN, failed = NaN, skipped = NaN] = counts;
    return { exit, passed, failed, skipped, output };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

function assertFails(c: Counted, why: RegExp): void {
  assert.notEqual(c.exit, 0, c.output);
  assert.ok(c.failed >= 1, c.output);
  assert.match(c.output, why);
}

const BAD = [
  "after_hook.fixture.ts",
  "top_level_throw.fixture.ts",
  "unhandled_rejection.fixture.ts",
  "timer_throw.fixture.ts",
];

for (const runner of ["deno", "bun"] as const) {
  describe(`count-tests.mjs ${runner}`, () => {
    let bad: Promise<Counted> | undefined;
    // One run of every failing fixture (a run per fixture would cost seconds each).
    const badRun = (): Promise<Counted> => bad ??= countFixtures(runner, BAD);
    const failsFor = async (fixture: string): Promise<string> => {
      const c = await badRun();
      assert.notEqual(c.exit, 0, c.output);
      const lines = c.output.split("\n").filter((l) =>
        l.startsWith("FAIL ") && l.includes(`runner/${fixture}`)
      );
      assert.ok(lines.length > 0, `no FAIL line for ${fixture}:\n${c.output}`);
      return lines.join("\n");
    };

    test(
      `count-tests.mjs ${runner} counts every test()/it() case, describe bodies included, and prints skips`,
      SLOW,
      async () => {
        const c = await countFixtures(runner, ["pass.fixture.ts"]);
        assert.equal(c.exit, 0, c.output);
        // 1 top-level, 4 in describe bodies (one nested), 2 from a loop; 2 skipped.
        assert.deepEqual([c.passed, c.failed, c.skipped], [7, 0, 2], c.output);
        assert.match(
          c.output,
          /^skip tests\/fixtures\/runner\/pass\.fixture\.ts: a skipped test$/m,
        );
        assert.match(c.output, new RegExp(`^${runner}: 7 passed, 0 failed, 2 skipped$`, "m"));
      },
    );

    test(`count-tests.mjs ${runner} counts a skipped describe as one skip`, SLOW, async () => {
      const c = await countFixtures(runner, ["skipped_groups.fixture.ts"]);
      assert.deepEqual([c.exit, c.passed, c.failed, c.skipped], [0, 0, 0, 3], c.output);
      assert.match(
        c.output,
        /^skip tests\/fixtures\/runner\/skipped_groups\.fixture\.ts: a describe\.skip\(\)/m,
      );
    });

    test(`count-tests.mjs ${runner} fails an after() hook that throws`, SLOW, async () => {
      await failsFor("after_hook.fixture.ts");
    });

    test(
      `count-tests.mjs ${runner} fails a top-level throw after the first test`,
      SLOW,
      async () => {
        assert.match(
          await failsFor("top_level_throw.fixture.ts"),
          /ran [01] of the 2 test cases it declares/,
        );
      },
    );

    test(`count-tests.mjs ${runner} fails an unhandled rejection`, SLOW, async () => {
      await failsFor("unhandled_rejection.fixture.ts");
    });

    test(`count-tests.mjs ${runner} fails an error thrown from a timer`, SLOW, async () => {
      await failsFor("timer_throw.fixture.ts");
    });

    test(`count-tests.mjs ${runner} counts a failure for each failing file`, SLOW, async () => {
      const c = await badRun();
      assert.ok(c.failed >= BAD.length, c.output);
      assert.match(
        c.output,
        new RegExp(`^${runner}: \\d+ passed, ${c.failed} failed, 0 skipped$`, "m"),
      );
    });
  });
}

test(
  "count-tests.mjs deno fails a missing Deno KV under CI=true; bun skips it by name",
  SLOW,
  async () => {
    // No deno.json: no "unstable": ["kv"], so no Deno.openKv.
    const missing = await countFixtures("deno", ["deno_kv.fixture.ts"], {
      env: { CI: "true" },
      runnerArgs: ["--no-config"],
    });
    assertFails(missing, /Deno KV is missing: deno\.json must keep "unstable": \["kv"\] \(CI=true/);
    const present = await countFixtures("deno", ["deno_kv.fixture.ts"], { env: { CI: "true" } });
    assert.deepEqual([present.exit, present.passed, present.failed], [0, 1, 0], present.output);
    const bun = await countFixtures("bun", ["deno_kv.fixture.ts"], { env: { CI: "true" } });
    assert.deepEqual([bun.exit, bun.passed, bun.failed, bun.skipped], [0, 0, 0, 1], bun.output);
    assert.match(
      bun.output,
      /^skip tests\/fixtures\/runner\/deno_kv\.fixture\.ts: Deno KV stores a value$/m,
    );
  },
);

test("count-tests.mjs deno fails a leaked timer with AUTHLITE_TEST_LEAKS=1", SLOW, async () => {
  const leaks = await countFixtures("deno", ["leak.fixture.ts"], {
    env: { AUTHLITE_TEST_LEAKS: "1" },
  });
  assertFails(leaks, /Leaks detected/);
});

test("declaredCases() counts the test()/it() calls imported from node:test", SLOW, async () => {
  const source = await readFile(`${FIXTURES}/pass.fixture.ts`, "utf8");
  // 5 in the file's text outside the loop's one call, which counts once: 8 calls.
  assert.equal(await declaredCases(source), 8);
  assert.equal(
    await declaredCases(`import { test as t } from "node:test"; t("a", () => {}); test("b");`),
    1,
  );
});

test("count() fails a run with no summary, or a non-zero exit with no failed case", () => {
  const xml = `<testsuites><testsuite name="a.test.ts" file="a.test.ts">` +
    `<testcase name="x" file="a.test.ts"/></testsuite></testsuites>`;
  const files = [{ file: "a.test.ts", declared: 1 }];
  const ok = count({
    runner: "bun",
    files,
    runs: [{ file: "*", declared: 0, junit: xml, log: " 1 pass\n 0 fail\n", exit: 0 }],
  });
  assert.deepEqual([ok.passed, ok.failed], [1, 0], ok.problems.join("\n"));
  const noSummary = count({
    runner: "bun",
    files,
    runs: [{ file: "*", declared: 0, junit: xml, log: "", exit: 0 }],
  });
  assert.deepEqual([noSummary.passed, noSummary.failed], [1, 1]);
  assert.match(noSummary.problems.join("\n"), /printed no summary/);
  const exit = count({
    runner: "bun",
    files,
    runs: [{ file: "*", declared: 0, junit: xml, log: " 1 pass\n 0 fail\n", exit: 1 }],
  });
  assert.equal(exit.failed, 1);
  assert.match(exit.problems.join("\n"), /exited with 1/);
  const noReport = count({
    runner: "deno",
    files,
    runs: [{
      file: "a.test.ts",
      declared: 1,
      junit: null,
      log: "ok | 1 passed | 0 failed",
      exit: 0,
    }],
  });
  assert.ok(noReport.failed >= 2, noReport.problems.join("\n"));
});

test("compareRuns() fails a file that ran fewer cases under one runner", () => {
  assert.deepEqual(compareRuns({ "a.test.ts": 3 }, { "a.test.ts": 3 }, ["deno", "bun"]), []);
  assert.deepEqual(
    compareRuns({ "a.test.ts": 1, "b.test.ts": 2 }, { "a.test.ts": 2, "b.test.ts": 2 }, [
      "deno",
      "bun",
    ]),
    ["a.test.ts: ran 1 cases under deno, 2 under bun"],
  );
});
