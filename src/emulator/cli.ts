/**
 * The standalone emulator: `npx authlite-emulator`, `deno run -A src/emulator/cli.ts`, or
 * `bun src/emulator/cli.ts`. It serves a local TrustAuthX (the API, the login widget, the
 * settings page and the `/__emulator` control surface) for apps that use any TrustAuthX SDK,
 * seeded with the demo organisation or from a JSON seed file (see docs/emulator.md).
 *
 * ```sh
 * authlite-emulator [--port N] [--host H] [--seed file.json]
 * ```
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import process from "node:process";
import { ListenError, listenNode, type NodeListening } from "./_node_http.ts";
import { applySeed, demoSeed, parseSeed, type Seed, SeedError } from "./_seed.ts";
import { createEmulator, type Emulator } from "./emulator.ts";
import { EmulatorError } from "./state.ts";

/** The port the standalone emulator listens on by default (the gateway's is 8787). */
export const DEFAULT_PORT = 8788;

const USAGE = `Usage: authlite-emulator [--port N] [--host H] [--seed file.json]

A local TrustAuthX for development and tests: the API, the login widget, the settings
page and the /__emulator control surface. Reference: docs/emulator.md in the package
(node_modules/authlite/docs/emulator.md), or
https://github.com/authlite/authlite/blob/main/docs/emulator.md

Options:
  --port N          port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --host H          address to listen on (default 127.0.0.1)
  --seed FILE       seed organisations, roles and users from a JSON file
                    (default: the demo organisation org_demo, api_key key_demo)
  -h, --help        show this help

Seed file:
  {"orgs": [{"org_id": "org_acme", "api_key": "key_acme", "secret_key": "...",
             "callback_url": "http://127.0.0.1:3000/auth/callback",
             "roles": [{"rol_id": "rol_admin", "name": "admin", "permissions": [{"admin": "true"}]}],
             "users": [{"uid": "uid_ada", "email": "ada@example.com", "roles": ["rol_admin"]}]}],
   "access_token_ttl_seconds": 3600}

Point an SDK at it: base URL and widget URL http://HOST:PORT, and the organisation's keys.`;

/** What the command line asked for. */
export interface CliOptions {
  /** The port. */
  port: number;
  /** The address. */
  host: string;
  /** The seed file, if any. */
  seed: string | undefined;
  /** Whether `--help` was given. */
  help: boolean;
}

/** A mistake on the command line. */
export class UsageError extends Error {
  /** @param message what is wrong */
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/**
 * Read the command line.
 *
 * @param argv the arguments after the program's name
 * @returns the options
 * @throws {UsageError} on an unknown option or a bad value
 */
export function parseCli(argv: readonly string[]): CliOptions {
  const out: CliOptions = { port: DEFAULT_PORT, host: "127.0.0.1", seed: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") {
      out.help = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 && arg.startsWith("--") ? arg.slice(0, eq) : arg;
    if (name !== "--port" && name !== "--host" && name !== "--seed") {
      throw new UsageError(`Unknown argument: ${arg} (see --help)`);
    }
    const value = eq > 0 && arg.startsWith("--") ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "") throw new UsageError(`Missing value: ${name}`);
    if (name === "--port") {
      if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
        throw new UsageError(`Invalid --port: ${value} (a number from 0 to 65535)`);
      }
      out.port = Number(value);
    } else if (name === "--host") {
      out.host = value;
    } else {
      out.seed = value;
    }
  }
  return out;
}

/**
 * Read and check a seed file.
 *
 * @param file the path of the JSON file
 * @returns the seed
 * @throws {SeedError} when the file cannot be read, is not JSON, or a field is wrong (named)
 */
export async function readSeedFile(file: string): Promise<Seed> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory" : code;
    throw new SeedError("", `Cannot read seed file ${file}: ${why ?? "unreadable"}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SeedError("", `Invalid seed file ${file}: not JSON (${(err as Error).message})`);
  }
  try {
    return parseSeed(value);
  } catch (err) {
    if (err instanceof SeedError) {
      throw new SeedError("", `Invalid seed file ${file}: ${err.message}`);
    }
    throw err;
  }
}

/** A standalone emulator that is listening. */
export interface StandaloneEmulator {
  /** The emulator (seed it further, count requests). */
  emulator: Emulator;
  /** Its URL. */
  url: string;
  /** The lines it prints at start. */
  banner: string[];
  /** Stop it. */
  close(): Promise<void>;
}

/**
 * Create, seed and serve an emulator.
 *
 * @param options port, host and seed file
 * @returns the listening emulator
 * @throws {SeedError} on a bad seed file
 * @throws {ListenError} when it cannot listen (a busy port)
 * @example
 * ```ts
 * import { startStandalone } from "./cli.ts";
 * const emu = await startStandalone({ port: 0, host: "127.0.0.1", seed: undefined });
 * const res = await fetch(`${emu.url}/__emulator/requests`);
 * console.assert(res.status === 200);
 * await res.body?.cancel();
 * await emu.close();
 * ```
 */
export async function startStandalone(
  options: Omit<CliOptions, "help">,
): Promise<StandaloneEmulator> {
  const seed = options.seed === undefined ? demoSeed() : await readSeedFile(options.seed);
  let emulator: Emulator;
  try {
    // The control surface answers loopback hosts, and the address it was told to listen on.
    emulator = createEmulator({ ...seed.options, control: true, controlHosts: [options.host] });
    applySeed(emulator, seed);
  } catch (err) {
    if (err instanceof SeedError || err instanceof EmulatorError) {
      throw new SeedError("", `Invalid seed file ${options.seed ?? "(demo)"}: ${err.message}`);
    }
    throw err;
  }
  const server: NodeListening = await listenNode(emulator.fetch, {
    port: options.port,
    hostname: options.host,
  });
  const banner = [
    `authlite emulator listening on ${server.url} (control surface: ${server.url}/__emulator)`,
    `  point an SDK at it: base URL and widget URL ${server.url}`,
  ];
  for (const org of seed.options.orgs) {
    const secret = options.seed === undefined ? org.secretKey : `(as in ${options.seed})`;
    banner.push(
      `  org_id ${org.orgId}  api_key ${org.apiKey}  secret_key ${secret}`,
      `    login callback ${org.callbackUrl}`,
    );
  }
  for (const { users } of seed.data) {
    if (users.length > 0) banner.push(`  users: ${users.map((u) => u.email).join(", ")}`);
  }
  return { emulator, url: server.url, banner, close: server.close };
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Run the command line: print the help, or serve until SIGINT or SIGTERM. Mistakes are one
 * line on standard error (no stack) and a non-zero answer.
 *
 * @param argv the arguments after the program's name
 * @returns the exit code: 0 after a clean stop or `--help`, 1 when it cannot start, 2 on a usage error
 * @throws never: every failure is a line and an exit code
 * @example
 * ```ts
 * import process from "node:process";
 * import { main } from "./cli.ts";
 * process.exitCode = await main(["--help"]);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  const fail = (line: string, code: number): number => {
    console.error(`authlite-emulator: ${line}`);
    return code;
  };
  let options: CliOptions;
  try {
    options = parseCli(argv);
  } catch (err) {
    return fail((err as Error).message, 2);
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  let running: StandaloneEmulator;
  try {
    running = await startStandalone(options);
  } catch (err) {
    if (err instanceof SeedError) return fail(err.message, 1);
    if (err instanceof ListenError && err.code === "EADDRINUSE") {
      return fail(
        `Port ${options.port} on ${options.host} is in use: stop what holds it, or pick another with --port`,
        1,
      );
    }
    if (err instanceof ListenError) {
      return fail(`Cannot listen on ${options.host}:${options.port}: ${err.code}`, 1);
    }
    return fail(`Cannot start: ${(err as Error).message}`, 1);
  }
  console.log(running.banner.join("\n"));
  if (!LOOPBACK.has(options.host)) {
    console.error(
      `authlite-emulator: Warning: listening on ${options.host}: the control surface and the demo keys are open to the network`,
    );
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await running.close();
  console.log("authlite emulator stopped");
  return 0;
}

if ((import.meta as { main?: boolean }).main === true) {
  process.exitCode = await main(process.argv.slice(2));
  process.exit();
}
