// deno doc --lint on every public entry of deno.json, together. Every error
// fails, except one kind: a public type of ours that names a type exported by
// one of our npm dependencies (hono's Context, @hono/zod-openapi's OpenAPIHono)
// is reported as referencing a "private type", because Deno does not treat an
// npm package's own exports as public (denoland/deno#27364). Those are let
// through only for the names below, and only while the package really exports
// that name (read from its .d.ts files), so a type of ours can never hide here.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Type names exported by a dependency → the package that exports them. */
const THIRD_PARTY = {
  Context: "hono",
  Env: "hono",
  MiddlewareHandler: "hono",
  Hono: "hono",
  HTTPException: "hono",
  hc: "hono",
  JSONParsed: "hono",
  ContentfulStatusCode: "hono",
  OpenAPIHono: "@hono/zod-openapi",
};

function exportedBy(pkg, name) {
  const dir = join("node_modules", pkg, "dist");
  const stack = [dir];
  const re = new RegExp(
    `export (?:declare )?(?:type |interface |class |const |function |abstract class )${name}\\b|export \\{[^}]*\\b${name}\\b[^}]*\\}`,
  );
  while (stack.length) {
    const d = stack.pop();
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) stack.push(p);
      else if (/\.d\.[cm]?ts$/.test(p) && re.test(readFileSync(p, "utf8"))) return true;
    }
  }
  return false;
}

const entries = Object.values(JSON.parse(readFileSync("deno.json", "utf8")).exports);
const deno = process.env.DENO ?? "deno";
const run = spawnSync(deno, ["doc", "--lint", ...entries], {
  encoding: "utf8",
  env: { ...process.env, NO_COLOR: "1" },
});
const out = `${run.stdout}\n${run.stderr}`;
const blocks = out.split(/\n(?=error)/).filter((b) => /^error\[/.test(b.trim()));
let failures = 0;
let allowed = 0;
for (const block of blocks) {
  const m = /^error\[private-type-ref\]: .* references private type '([^']+)'/m.exec(block.trim());
  const pkg = m && THIRD_PARTY[m[1]];
  if (pkg !== undefined && pkg !== null && exportedBy(pkg, m[1])) {
    allowed++;
    continue;
  }
  failures++;
  console.log(block.trim());
}
console.log(
  `deno doc --lint ${entries.join(" ")}: ${failures} error(s); ` +
    `${allowed} reference(s) to types of hono or @hono/zod-openapi let through`,
);
if (failures > 0 || (run.status !== 0 && blocks.length === 0)) process.exit(1);
