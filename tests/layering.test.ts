// The architecture, read from the imports: every arrow points down
// (runtime → ui → rpc → gateway → hono → web → client → cache → errors), the
// emulator stands apart, inner files never import the package entry, a folder is
// entered through its mod.ts (or, by the layer right above only, its unpublished
// _internal.ts), and the frontend caller (rpc) holds no server code. And the
// shape of src/: each primitive defined once at the bottom, no `instanceof
// MemoryStore` outside the memory store, no file over 500 lines, none generated.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Layers from the bottom up; a file may import its own layer or a lower one. */
const LAYERS = ["errors", "cache", "client", "web", "hono", "gateway", "rpc", "runtime"] as const;

function layerOf(file: string): string | undefined {
  const rel = relative(root, file).split("\\").join("/");
  // The bottom: the error family and the private files beside it (src/_*.ts: the
  // primitives, the observer seam, the client/cache seam types).
  if (rel === "src/errors.ts" || /^src\/_[^/]+\.ts$/.test(rel)) return "errors";
  const m = /^src\/([^/]+)\//.exec(rel);
  return m?.[1];
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

/** The relative imports and re-exports of a file, without the ones in comments. */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (let m = re.exec(code); m !== null; m = re.exec(code)) {
    const spec = m[1] ?? m[2];
    if (spec !== undefined && spec.startsWith(".")) found.push(spec);
  }
  return found;
}

interface Edge {
  from: string;
  to: string;
}

function edges(): Edge[] {
  const list: Edge[] = [];
  for (const file of walk(join(root, "src"))) {
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      list.push({ from: file, to: resolve(dirname(file), spec) });
    }
  }
  return list;
}

const rel = (p: string) => relative(root, p).split("\\").join("/");

test("importsOf() finds imports and re-exports but not examples in comments", () => {
  const found = importsOf(
    [
      `/** @example\n * import { x } from "./in_a_comment.ts";\n */`,
      `import { a } from "./a.ts";`,
      `import type { B } from "../b/mod.ts";`,
      `export { c } from "./c.ts";`,
      `export type {\n  D,\n  E,\n} from "./d.ts";`,
      `const m = await import("./lazy.ts");`,
      `import { Hono } from "hono";`,
    ].join("\n"),
  );
  assert.deepEqual(found, ["./a.ts", "../b/mod.ts", "./c.ts", "./d.ts", "./lazy.ts"]);
});

test("no file under src/ imports the package entry", () => {
  const entry = join(root, "mod.ts");
  const bad = edges().filter((e) => e.to === entry).map((e) => rel(e.from));
  assert.deepEqual(bad, []);
});

test("every import points down the layers (runtime → ui → rpc → gateway → hono → web → client → cache → errors)", () => {
  const bad: string[] = [];
  let checked = 0;
  for (const { from, to } of edges()) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === undefined || b === undefined || a === "emulator" || b === "emulator") continue;
    const ia = LAYERS.indexOf(a as typeof LAYERS[number]);
    const ib = LAYERS.indexOf(b as typeof LAYERS[number]);
    assert.ok(ia >= 0, `${rel(from)} is in no known layer (${a})`);
    assert.ok(ib >= 0, `${rel(to)} is in no known layer (${b})`);
    checked++;
    if (ib > ia) bad.push(`${rel(from)} (${a}) imports ${rel(to)} (${b})`);
  }
  assert.ok(checked > 50, `only ${checked} imports checked: is the reader broken?`);
  assert.deepEqual(bad, []);
});

test("the emulator imports nothing of ours, and only the runtime imports it", () => {
  const bad: string[] = [];
  for (const { from, to } of edges()) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === "emulator" && b !== "emulator") bad.push(`${rel(from)} imports ${rel(to)}`);
    if (b === "emulator" && a !== "emulator" && a !== "runtime") {
      bad.push(`${rel(from)} imports ${rel(to)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test("another folder is entered through its mod.ts, or its _internal.ts by the layer right above", () => {
  const bad: string[] = [];
  let internal = 0;
  for (const { from, to } of edges()) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === b || b === "errors") continue;
    if (to.endsWith("/mod.ts")) continue;
    // The Swagger UI assets generated for `npm start` (scripts/build-docs-assets.mjs), in
    // neither package: only the development runtime imports them.
    if (a === "runtime" && rel(to).startsWith(".tmp/docs-ui/")) continue;
    const ia = LAYERS.indexOf(a as typeof LAYERS[number]);
    const ib = LAYERS.indexOf(b as typeof LAYERS[number]);
    if (to.endsWith("/_internal.ts") && ia === ib + 1) {
      internal++;
      continue;
    }
    bad.push(`${rel(from)} imports ${rel(to)}`);
  }
  assert.ok(internal > 0, "the gateway and the hono layer use the layer below's _internal.ts");
  assert.deepEqual(bad, []);
});

test("no entry of the package publishes an _internal.ts, and src/web/ imports no package", () => {
  const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as {
    exports: Record<string, string>;
  };
  const npm = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports: Record<string, { import: string }>;
  };
  const published = [
    ...Object.values(deno.exports),
    ...Object.values(npm.exports).map((e) => e.import),
  ];
  assert.deepEqual(published.filter((p) => p.includes("_internal")), []);
  assert.ok(deno.exports["./web"] !== undefined && npm.exports["./web"] !== undefined);
  const bad: string[] = [];
  for (const file of walk(join(root, "src", "web"))) {
    const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    const re = /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s*["']([^"']+)["']/g;
    for (let m = re.exec(code); m !== null; m = re.exec(code)) {
      if (!(m[1] ?? "").startsWith(".")) bad.push(`${rel(file)}: ${m[1]}`);
    }
  }
  assert.deepEqual(bad, []);
});

test("the demo frontend (web/) uses only the package's public entries", () => {
  const exports = (JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as {
    exports: Record<string, string>;
  }).exports;
  const publicEntries = new Set(Object.values(exports).map((p) => resolve(root, p)));
  const web = join(root, "web");
  const bad: string[] = [];
  let checked = 0;
  for (const file of walk(web)) {
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      const to = resolve(dirname(file), spec);
      checked++;
      if (!to.startsWith(web + "/") && !publicEntries.has(to)) {
        bad.push(`${rel(file)} imports ${rel(to)}`);
      }
    }
  }
  assert.ok(checked > 5, `only ${checked} imports checked`);
  assert.deepEqual(bad, []);
});

test("the typed caller (src/rpc/) imports only types of ours, and no package but hono/client", () => {
  const bad: string[] = [];
  let checked = 0;
  for (const file of walk(join(root, "src", "rpc"))) {
    const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    const re = /(?:^|\n)\s*(import|export)(\s+type)?\b[^"'`;]*?from\s*["']([^"']+)["']/g;
    for (let m = re.exec(code); m !== null; m = re.exec(code)) {
      checked++;
      const [, , typeOnly, spec] = m;
      if (typeOnly !== undefined) continue;
      if (spec !== "hono/client") bad.push(`${rel(file)}: ${m[0].trim()}`);
    }
  }
  assert.ok(checked >= 3, `only ${checked} imports read in src/rpc/`);
  assert.deepEqual(bad, []);
});

/** The code of a file without its comments (examples in JSDoc are not definitions). */
function codeOf(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "").replace(
    /([^:"'`])\/\/.*$/gm,
    "$1",
  );
}

/**
 * Each primitive of the bottom layer, its home, and the shapes that give away
 * another definition of it (a function named like it, or its code).
 */
export const PRIMITIVES: readonly {
  name: string;
  home: string;
  shapes: readonly RegExp[];
  /** Files allowed a shape, and why. */
  allowed?: Readonly<Record<string, string>>;
}[] = [
  {
    name: "base64url",
    home: "src/_base64url.ts",
    shapes: [
      /\bbtoa\s*\(/,
      /\batob\s*\(/,
      /ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/,
      /\bfunction\s+(?:encode|decode|from|to|un)?b(?:ase)?64(?:url)?\s*[(<]/i,
      /replace\(\s*\/\\\+\/g\s*,\s*["']-["']\s*\)/,
    ],
  },
  {
    name: "constant-time compare",
    home: "src/_compare.ts",
    shapes: [
      /\bfunction\s+(?:timingSafe\w*|safeEqual|sameBytes|constantTime\w*)\s*[(<]/,
      /\w+\s*\|=[^;\n]*\^/,
    ],
  },
  {
    name: "Bearer parser",
    home: "src/_bearer.ts",
    shapes: [/\bfunction\s+bearerOf\b/, /Bearer\[/, /!==\s*["']bearer["']/],
  },
  {
    name: "bounded map evicting the oldest",
    home: "src/_bounded_map.ts",
    shapes: [/\.keys\(\)\.next\(\)/, /\.entries\(\)\.next\(\)/, /\bclass\s+(?:Lru|BoundedMap)\b/],
    allowed: {
      "src/gateway/_rate_limit.ts":
        "two maps (open, blocked) under one joint bound, a policy of its own: a flood of new keys never unblocks a blocked one",
    },
  },
  {
    name: "single-flight",
    home: "src/_single_flight.ts",
    shapes: [/\bnew Map<[^>]*,\s*Promise</, /\bclass\s+SingleFlight\b/],
  },
  {
    name: "circuit breaker",
    home: "src/_breaker.ts",
    shapes: [/\bclass\s+\w*Breaker\b/],
  },
  {
    name: "key derivation",
    home: "src/_kdf.ts",
    shapes: [
      /["']HKDF["']/,
      /name:\s*["']HMAC["']/,
      // A MAC keyed with text: a label convention of its own.
      /new HmacSha256\(\s*(?:encoder|new TextEncoder\(\))\.encode\(/,
    ],
    allowed: {
      "src/_hmac.ts": "HmacSha256 itself (a key longer than a block is hashed, as HMAC says)",
    },
  },
  {
    name: "SHA-256",
    home: "src/_hmac.ts",
    shapes: [/0x428a2f98/i],
  },
];

/**
 * The definitions of primitives found outside their homes, in `files` (path
 * → source). The emulator keeps its own on purpose (it is the other side of
 * the wire: see src/emulator/jwt.ts), so it is not read.
 */
export function primitiveCopies(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [path, source] of files) {
    if (path.startsWith("src/emulator/")) continue;
    const code = codeOf(source);
    for (const p of PRIMITIVES) {
      if (path === p.home || p.allowed?.[path] !== undefined) continue;
      for (const shape of p.shapes) {
        if (shape.test(code)) found.push(`${path}: ${p.name} (${shape})`);
      }
    }
  }
  return found;
}

function sources(): Map<string, string> {
  return new Map(walk(join(root, "src")).map((f) => [rel(f), readFileSync(f, "utf8")]));
}

test("each primitive is defined once, at the bottom (src/_*.ts), and used from there", () => {
  const files = sources();
  for (const p of PRIMITIVES) {
    const home = files.get(p.home);
    assert.ok(home !== undefined, `${p.home} is missing`);
    assert.ok(
      p.shapes.some((s) => s.test(codeOf(home))),
      `${p.home} shows none of the shapes of ${p.name}: is the check still reading it?`,
    );
  }
  assert.deepEqual(primitiveCopies(files), []);
});

test("primitiveCopies() finds a second definition of each primitive", () => {
  const copies: Record<string, string> = {
    "base64url": "export function b64url(bytes: Uint8Array): string {\n  return btoa(s);\n}",
    "constant-time compare":
      "function same(a: Uint8Array, b: Uint8Array) {\n  let d = 0;\n  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;\n  return d === 0;\n}",
    "Bearer parser": "const token = /^Bearer[ \\t]+(\\S+)$/i.exec(header)?.[1];",
    "bounded map evicting the oldest":
      "if (map.size > max) map.delete(map.keys().next().value as string);",
    "single-flight": "const pending = new Map<string, Promise<boolean>>();",
    "circuit breaker": "class StoreBreaker {\n  #failures = 0;\n}",
    "key derivation": "const mac = new HmacSha256(encoder.encode(`label:${secret}`));",
    "SHA-256": "const K = [0x428a2f98, 0x71374491];",
  };
  assert.deepEqual(Object.keys(copies).sort(), PRIMITIVES.map((p) => p.name).sort());
  for (const [name, copy] of Object.entries(copies)) {
    const found = primitiveCopies(new Map([["src/client/elsewhere.ts", copy]]));
    assert.ok(found.some((f) => f.includes(`: ${name} (`)), `a copy of ${name} went unseen`);
    // In a comment it is no definition; in the emulator it is allowed.
    assert.deepEqual(primitiveCopies(new Map([["src/client/x.ts", `/*\n${copy}\n*/`]])), []);
    assert.deepEqual(primitiveCopies(new Map([["src/emulator/jwt.ts", copy]])), []);
  }
});

test("no instanceof MemoryStore outside the memory store (stores declare what they are)", () => {
  const bad = [...sources()].filter(([path, source]) =>
    path !== "src/cache/memory_store.ts" && /instanceof\s+MemoryStore\b/.test(codeOf(source))
  ).map(([path]) => path);
  assert.deepEqual(bad, []);
});

test("no file in src/ is over 500 lines", () => {
  const bad = [...sources()]
    .map(([path, source]) => ({
      path,
      lines: source.split("\n").length - (source.endsWith("\n") ? 1 : 0),
    }))
    .filter((f) => f.lines > 500)
    .map((f) => `${f.path}: ${f.lines} lines`);
  assert.deepEqual(bad, []);
});

test("no file in src/ is generated", () => {
  const bad = [...sources()].filter(([, source]) =>
    /\b(?:@generated|auto-?generated|generated (?:by|from|file)|do not edit)\b/i.test(
      source.slice(0, 2000),
    )
  ).map(([path]) => path);
  assert.deepEqual(bad, []);
});
