// After `tsc -p tsconfig.build.json`: the .d.ts files keep the sources' relative `.ts`
// import paths (tsc rewrites them in .js only). TypeScript 5 reads those, but older
// compilers and declaration tools do not: point them at the `.js` files, as in the JS.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const relativeTs = /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']*?)\.ts(["'])/g;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".d.ts")) {
      const text = readFileSync(path, "utf8");
      const fixed = text.replace(relativeTs, "$1$2.js$3");
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}

walk(process.argv[2] ?? "dist");
