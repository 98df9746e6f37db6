/**
 * The size of the client in a browser bundle: `mod.ts` and its dependencies,
 * bundled and minified by esbuild as an ES module for the browser, then
 * gzipped. The goal is under 25 KB gzipped.
 *
 * Run: `npx deno run -A bench/bundle_size.ts` (or `npx bun bench/bundle_size.ts`).
 *
 * @module
 */
import { build } from "esbuild";
import process from "node:process";
import { gzipSync } from "node:zlib";

/** The goal, in gzipped bytes. */
const GOAL_BYTES = 25 * 1024;

const result = await build({
  entryPoints: [new URL("../mod.ts", import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  write: false,
  metafile: true,
  logLevel: "silent",
});
const code = result.outputFiles[0]!.contents;
const gzipped = gzipSync(code, { level: 9 }).byteLength;

const byPackage = new Map<string, number>();
for (const output of Object.values(result.metafile.outputs)) {
  for (const [path, input] of Object.entries(output.inputs)) {
    const key = path.split("/").slice(0, 2).join("/");
    byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`mod.ts browser bundle: ${kb(code.byteLength)} minified, ${kb(gzipped)} gzipped`);
for (const [key, bytes] of [...byPackage].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${key.padEnd(24)} ${kb(bytes)} minified`);
}
console.log(
  gzipped <= GOAL_BYTES
    ? `within the goal of ${kb(GOAL_BYTES)}`
    : `OVER the goal of ${kb(GOAL_BYTES)}`,
);
if (gzipped > GOAL_BYTES) process.exitCode = 1;
