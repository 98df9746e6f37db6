// Rewrites the imports of JSDoc examples in the public sources from relative paths
// ("../../mod.ts", "./errors.ts") to the package's published JSR names
// ("@authlite/authlite", "@authlite/authlite/hono", ...), so that JSR's generated docs show
// what a user writes. deno.json's "imports" map those names back to this repository, so
// `deno test --doc` and `deno check --doc` still resolve them.
//
//   node scripts/jsdoc-published-names.mjs          rewrite in place, list the files changed
//   node scripts/jsdoc-published-names.mjs --check  exit 1 if a file would change
//
// Only `import ... from "./x.ts"` lines inside comments (` * import ...`) are touched;
// src/runtime/ (in neither package) is left alone.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const NAME = "@authlite/authlite";

/** The published entry that exports what `file` (relative to the root) defines. */
function entryOf(file) {
  if (file === "mod.ts" || file === "src/errors.ts" || /^src\/_[\w]+\.ts$/.test(file)) return NAME;
  const m = /^src\/(client|cache|hono|gateway|emulator|rpc|web)\//.exec(file);
  if (m === null) return undefined;
  return m[1] === "client" || m[1] === "cache" ? NAME : `${NAME}/${m[1]}`;
}

function* sources(dir) {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (path !== "src/runtime") yield* sources(path);
    } else if (entry.name.endsWith(".ts")) yield path;
  }
}

const LINE = /^(\s*\*\s*import\s+(?:type\s+)?([^"'\n]*)\bfrom\s+")(\.{1,2}\/[^"]+)(".*)$/;

const ENTRY_FILES = {
  [NAME]: "mod.ts",
  [`${NAME}/hono`]: "src/hono/mod.ts",
  [`${NAME}/gateway`]: "src/gateway/mod.ts",
  [`${NAME}/emulator`]: "src/emulator/mod.ts",
  [`${NAME}/rpc`]: "src/rpc/mod.ts",
  [`${NAME}/web`]: "src/web/mod.ts",
};
const exportsCache = new Map();
/** The names an entry exports (its explicit barrels and its own declarations). */
function exportsOf(entry) {
  let names = exportsCache.get(entry);
  if (names === undefined) {
    names = new Set();
    let text = "";
    try {
      text = readFileSync(join(root, ENTRY_FILES[entry]), "utf8");
    } catch { /* no such entry here */ }
    for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
      for (const part of m[1].split(",")) {
        const name = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop()?.trim();
        if (name) names.add(name);
      }
    }
    for (
      const m of text.matchAll(
        /export\s+(?:declare\s+)?(?:async\s+)?(?:function|class|const|let|interface|type|enum)\s+(\w+)/g,
      )
    ) {
      names.add(m[1]);
    }
    exportsCache.set(entry, names);
  }
  return names;
}
/** The names an import clause brings in (`{ a, b as c }`, `* as x` and defaults are refused). */
function importedNames(clause) {
  const m = /^\s*\{([^}]*)\}\s*$/.exec(clause);
  if (m === null) return undefined;
  return m[1].split(",").map((p) => p.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0]?.trim())
    .filter((n) => n);
}

const check = process.argv.includes("--check");
const changed = [];
for (const file of ["mod.ts", ...sources("src")]) {
  const text = readFileSync(join(root, file), "utf8");
  const out = text.split("\n").map((line) => {
    const m = LINE.exec(line);
    if (m === null) return line;
    const target = relative(root, resolve(root, dirname(file), m[3]));
    const entry = entryOf(target);
    const names = importedNames(m[2]);
    // Only when the entry exports every name: internal helpers keep their relative path.
    if (entry === undefined || names === undefined) return line;
    if (!names.every((n) => exportsOf(entry).has(n))) return line;
    return `${m[1]}${entry}${m[4]}`;
  }).join("\n");
  if (out !== text) {
    changed.push(file);
    if (!check) writeFileSync(join(root, file), out);
  }
}
for (const file of changed) console.log(file);
if (check && changed.length > 0) process.exit(1);
