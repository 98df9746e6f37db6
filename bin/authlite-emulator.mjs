#!/usr/bin/env node
// `npx authlite-emulator`: the standalone TrustAuthX emulator (src/emulator/cli.ts, built to
// dist/ by the npm build). Under Deno: `deno run -A src/emulator/cli.ts`; under Bun:
// `bun src/emulator/cli.ts`.
import process from "node:process";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/src/emulator/cli.js", import.meta.url);
let cli;
try {
  cli = await import(built.href);
} catch (err) {
  // Only dist/ missing (a checkout that was not built), not a dependency missing inside it.
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err.message).includes(fileURLToPath(built))) {
    throw err;
  }
  console.error(
    "authlite-emulator: dist/ is not built: run the npm build first, or run the source: " +
      "npx deno run -A src/emulator/cli.ts",
  );
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
process.exit();
