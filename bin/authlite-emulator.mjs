#!/usr/bin/env node
// `npx authlite-emulator`: the standalone TrustAuthX emulator (src/emulator/cli.ts, built to
// dist/ by the npm build). Under Deno: `deno run -A src/emulator/cli.ts`.
import process from "node:process";
import { main } from "../dist/src/emulator/cli.js";

process.exitCode = await main(process.argv.slice(2));
process.exit();
