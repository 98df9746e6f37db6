// The standalone emulator as a user starts it, in its own process: the npm bin on plain
// Node (bin/authlite-emulator.mjs over cli.ts built with esbuild, as dist/ would hold it),
// `deno run -A src/emulator/cli.ts` and `bun src/emulator/cli.ts`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AuthLiteClient } from "../mod.ts";
import { serve } from "./_serve.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = `${root}node_modules/.bin`;
const tmp = `${root}.tmp/emulator-cli`;

/** Build the bin as the npm package ships it: bin/ next to dist/src/emulator/cli.js. */
let built: Promise<void> | undefined;
function buildNodeBin(): Promise<void> {
  built ??= new Promise((resolve, reject) => {
    mkdirSync(`${tmp}/pkg/bin`, { recursive: true });
    copyFileSync(`${root}bin/authlite-emulator.mjs`, `${tmp}/pkg/bin/authlite-emulator.mjs`);
    execFile(
      `${bin}/esbuild`,
      [
        "src/emulator/cli.ts",
        "--bundle",
        "--platform=node",
        "--format=esm",
        "--target=node20",
        `--outfile=${tmp}/pkg/dist/src/emulator/cli.js`,
        "--log-level=warning",
      ],
      { cwd: root },
      (err, _out, stderr) => (err ? reject(new Error(stderr)) : resolve()),
    );
  });
  return built;
}

const RUNNERS: Record<string, () => Promise<string[]>> = {
  "node (npm bin)": async () => {
    await buildNodeBin();
    return ["node", `${tmp}/pkg/bin/authlite-emulator.mjs`];
  },
  "deno": () => Promise.resolve([`${bin}/deno`, "run", "-A", "src/emulator/cli.ts"]),
  "bun": () => Promise.resolve([`${bin}/bun`, "src/emulator/cli.ts"]),
};

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run to the end (for --help and the errors). */
async function runToEnd(runner: string, args: string[]): Promise<Finished> {
  const [cmd, ...pre] = await RUNNERS[runner]!();
  return new Promise((resolve) => {
    const child = spawn(cmd!, [...pre, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Start it; resolve once it prints where it listens. */
async function start(
  runner: string,
  args: string[],
): Promise<{ url: string; output: () => string; stop: () => Promise<void> }> {
  const [cmd, ...pre] = await RUNNERS[runner]!();
  const child = spawn(cmd!, [...pre, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1" },
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
      reject(new Error(`no listening line in time:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url !== undefined && /users: /.test(output)) {
        clearTimeout(timer);
        resolve({ url, output: () => output, stop });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
}

const SEED = {
  access_token_ttl_seconds: 120,
  orgs: [{
    org_id: "org_acme",
    api_key: "key_acme",
    secret_key: "acme-secret-for-the-cli-test-only",
    callback_url: "http://127.0.0.1:3000/auth/callback",
    name: "Acme",
    roles: [{ rol_id: "rol_admin", name: "admin", permissions: [{ admin: "true" }] }],
    users: [{ uid: "uid_ada", email: "ada@example.com", name: "Ada", roles: ["rol_admin"] }],
  }],
};

function seedFile(name: string, value: unknown): string {
  mkdirSync(tmp, { recursive: true });
  const file = `${tmp}/${name}.json`;
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

async function control(url: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}/__emulator${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  assert.equal(res.status, 200);
  return await res.json();
}

for (const runner of Object.keys(RUNNERS)) {
  test(`authlite-emulator [${runner}] serves a seed file to a client, counted at /__emulator`, async () => {
    const emu = await start(runner, ["--port", "0", "--seed", seedFile("seed", SEED)]);
    try {
      assert.match(emu.output(), /org_id org_acme {2}api_key key_acme {2}secret_key \(as in /);
      // The seed file's secret is the user's: the banner does not print it.
      assert.doesNotMatch(emu.output(), /acme-secret-for-the-cli-test-only/);
      const client = new AuthLiteClient({
        apiKey: "key_acme",
        secretKey: SEED.orgs[0]!.secret_key,
        orgId: "org_acme",
        baseUrl: emu.url,
        widgetUrl: emu.url,
      });
      const { code } = await control(emu.url, "/login-code", { email: "ada@example.com" }) as {
        code: string;
      };
      const user = await client.getUser(code);
      assert.equal(user.uid, "uid_ada");
      assert.equal(user.name, "Ada");
      assert.deepEqual(user.roles, ["rol_admin"]);
      assert.equal(await client.roles.validate("rol_admin", "admin", "true"), true);
      // access_token_ttl_seconds from the seed: an access token expires after 120 s.
      assert.equal(
        (await client.validateTokenSet(user.accessToken, user.refreshToken)).state,
        true,
      );
      await control(emu.url, "/clock", { advance_seconds: 121 });
      assert.equal(
        (await client.validateTokenSet(user.accessToken, user.refreshToken)).state,
        false,
      );
      assert.deepEqual(await control(emu.url, "/requests"), {
        total: 5,
        by_path: {
          "/api/user/me/auth/data": 1,
          "/rbac/role": 1,
          "/api/user/me/auth/validate/token": 2,
          "/api/user/me/access/token/": 1,
        },
      });
      // The login widget of the seeded organisation.
      const widget = await fetch(`${emu.url}/widget/login/?org_id=org_acme`);
      assert.match(await widget.text(), /Sign in to Acme/);
    } finally {
      await emu.stop();
    }
    // (Deno's node:child_process reports a signal, not the exit code, after kill(): read the line.)
    assert.match(emu.output(), /authlite emulator stopped\n$/, "SIGTERM stops it cleanly");
  });

  test(`authlite-emulator [${runner}] with no seed serves the demo organisation`, async () => {
    const emu = await start(runner, ["--port=0"]);
    try {
      assert.match(
        emu.output(),
        /org_id org_demo {2}api_key key_demo {2}secret_key demo-secret-key-for-the-local-emulator-only/,
      );
      const client = new AuthLiteClient({
        apiKey: "key_demo",
        secretKey: "demo-secret-key-for-the-local-emulator-only",
        orgId: "org_demo",
        baseUrl: emu.url,
      });
      assert.deepEqual(await client.roles.query({ permissionKey: "admin" }), [
        { roleId: "rol_admins", name: "admins", permissions: { admin: "true" } },
      ]);
    } finally {
      await emu.stop();
    }
  });

  test(`authlite-emulator [${runner}] --help prints the usage and exits 0`, async () => {
    const r = await runToEnd(runner, ["--help"]);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /^Usage: authlite-emulator \[--port N\] \[--host H\] \[--seed file\.json\]/,
    );
    assert.match(r.stdout, /callback_url/);
  });

  test(`authlite-emulator [${runner}] bad input: one line naming the field, non-zero exit`, async () => {
    const cases: Array<[string[], RegExp, number]> = [
      [
        ["--seed", seedFile("bad-field", { orgs: [{ ...SEED.orgs[0], api_key: 42 }] })],
        /^authlite-emulator: Invalid seed file \S+bad-field\.json: orgs\[0\]\.api_key must be a non-empty string\n$/,
        1,
      ],
      [
        [
          "--seed",
          seedFile("bad-role", {
            orgs: [{ ...SEED.orgs[0], users: [{ email: "x@example.com", roles: ["rol_nope"] }] }],
          }),
        ],
        /^authlite-emulator: Invalid seed file \S+: orgs\[0\]\.users\[0\]: Unknown role: rol_nope\n$/,
        1,
      ],
      [
        ["--seed", seedFile("not-json", "{ orgs: ")],
        /^authlite-emulator: Invalid seed file \S+not-json\.json: not JSON \(.*\)\n$/,
        1,
      ],
      [
        ["--seed", `${tmp}/missing.json`],
        /^authlite-emulator: Cannot read seed file \S+missing\.json: no such file\n$/,
        1,
      ],
      [["--port", "99999"], /^authlite-emulator: Invalid --port: 99999 .*\n$/, 2],
      [["--nope"], /^authlite-emulator: Unknown argument: --nope \(see --help\)\n$/, 2],
    ];
    for (const [args, pattern, code] of cases) {
      const r = await runToEnd(runner, args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, "");
    }
  });

  test(`authlite-emulator [${runner}] on a busy port: one line naming the port, exit 1`, async () => {
    const holder = await serve(() => new Response("taken"));
    try {
      const r = await runToEnd(runner, ["--port", String(holder.port)]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `authlite-emulator: Port ${holder.port} on 127.0.0.1 is in use: stop what holds it, or pick another with --port\n`,
      );
    } finally {
      await holder.close();
    }
  });
}

test("bin/authlite-emulator.mjs without dist/ says to build or run the source, in one line", async () => {
  mkdirSync(`${tmp}/unbuilt/bin`, { recursive: true });
  copyFileSync(`${root}bin/authlite-emulator.mjs`, `${tmp}/unbuilt/bin/authlite-emulator.mjs`);
  const r = await new Promise<Finished>((resolve) => {
    execFile(
      "node",
      [`${tmp}/unbuilt/bin/authlite-emulator.mjs`, "--help"],
      (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
      },
    );
  });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^authlite-emulator: dist\/ is not built: [^\n]*src\/emulator\/cli\.ts\n$/,
  );
});
