// The front door (issue 20): Swagger UI is opt-in and in neither package. A gateway
// given no `docs` answers /docs 404 (and keeps /openapi.json); the Worker without docs
// bundles none of Swagger UI and stays small; the JSR and npm packages stay small.
// Before: src/gateway/_swagger_ui_assets.ts (1.96 MB) was in both packages and in the
// Worker (639 KiB gzipped), and every gateway served /docs.
//
// The sizes are measured as a release would: `wrangler deploy --dry-run` (the Worker,
// gzipped), `deno publish --dry-run` (the files JSR would get), `npm pack --dry-run --json`
// (unpacked; prepack builds dist/). Measured once, under deno test: the same files give
// the same figures under Bun, and the npm build is slow.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createGateway } from "../src/gateway/mod.ts";
import { startGateway } from "./_gateway_fixture.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "node_modules", ".bin");
const KB = 1000;
/** The limits of issue 20. */
const WORKER_GZIP_LIMIT = 200 * KB;
const JSR_LIMIT = 700 * KB;
const NPM_UNPACKED_LIMIT = 1000 * KB;

const underBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const ONCE = {
  skip: underBun ? "measured once, under deno test (the same files, the same figures)" : false,
  timeout: 300_000,
};

function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; out: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, {
      cwd: root,
      timeout: 280_000,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        NO_COLOR: "1",
        WRANGLER_SEND_METRICS: "false",
        PATH: `${bin}:${process.env.PATH ?? ""}`,
      },
    }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolve({ code, out: `${stdout}\n${stderr}`, stdout });
    });
  });
}

async function ok(cmd: string, args: string[], stdoutOnly = false): Promise<string> {
  const r = await run(cmd, args);
  assert.equal(r.code, 0, `${cmd} ${args.join(" ")} failed (exit ${r.code})\n${r.out}`);
  return stdoutOnly ? r.stdout : r.out;
}

test("a gateway without docs answers /docs 404 and still serves /openapi.json", async () => {
  const fx = await startGateway();
  try {
    const docs = await fx.app.request("http://gw.test/docs");
    assert.equal(docs.status, 404);
    await docs.body?.cancel();
    const asset = await fx.app.request("http://gw.test/docs/5.35.0/swagger-ui-bundle.js");
    assert.equal(asset.status, 404);
    await asset.body?.cancel();
    const doc = await fx.app.request("http://gw.test/openapi.json");
    assert.equal(doc.status, 200);
    assert.ok((await doc.json()).paths["/auth/login"]);
  } finally {
    await fx.close();
  }
});

test("createGateway() refuses docs without the OpenAPI document, and assets of the wrong shape", async () => {
  const fx = await startGateway();
  try {
    const base = { client: fx.client, sessionSecret: "s".repeat(40) };
    const ui = { version: "1.0.0", css: "", js: "" };
    assert.throws(() => createGateway({ ...base, openapi: false, docs: { ui } }), {
      code: "ERR_CONFIG",
    });
    for (const bad of [{}, { ...ui, version: `"><script>` }, { ...ui, js: 1 }]) {
      assert.throws(
        // deno-lint-ignore no-explicit-any
        () => createGateway({ ...base, docs: { ui: bad as any } }),
        { code: "ERR_CONFIG" },
      );
    }
    const off = createGateway({ ...base, openapi: false });
    const res = await off.request("http://gw.test/openapi.json");
    assert.equal(res.status, 404);
    await res.body?.cancel();
  } finally {
    await fx.close();
  }
});

test(
  "the Worker without docs (wrangler deploy --dry-run) is under 200 KB gzipped",
  ONCE,
  async () => {
    const out = mkdtempSync(join(tmpdir(), "authlite-wrangler-"));
    try {
      // Wrangler needs Node 22; Bun runs it here (as scripts/test.sh does).
      const printed = await ok(join(bin, "bun"), [
        "node_modules/wrangler/bin/wrangler.js",
        "deploy",
        "--dry-run",
        "--outdir",
        out,
      ]);
      const script = readFileSync(join(out, "worker.js"));
      // The first line of swagger-ui-bundle.js (never print the bundle: it is large).
      const swagger = script.includes("license information please see swagger-ui-bundle");
      assert.equal(swagger, false, "Swagger UI is in the Worker");
      const gzip = gzipSync(script, { level: 9 }).length;
      // Wrangler's own figure, when it prints one ("gzip: 158.23 KiB"), must agree.
      const said = /gzip: ([\d.]+) KiB/.exec(printed)?.[1];
      const wrangler = said === undefined ? gzip : Number(said) * 1024;
      console.log(`Worker: ${(gzip / KB).toFixed(1)} KB gzipped (wrangler: ${wrangler} B)`);
      assert.ok(gzip < WORKER_GZIP_LIMIT, `the Worker is ${gzip} B gzipped`);
      assert.ok(wrangler < WORKER_GZIP_LIMIT, `wrangler says the Worker is ${wrangler} B gzipped`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);

test("the JSR package (deno publish --dry-run) is under 700 KB", ONCE, async () => {
  const printed = await ok(join(bin, "deno"), ["publish", "--dry-run", "--allow-dirty"]);
  const units: Record<string, number> = { B: 1, KB: 1024, MB: 1024 * 1024 };
  let total = 0;
  const files: string[] = [];
  for (const m of printed.matchAll(/^\s*(file:\/\/\S+) \(([\d.]+)(B|KB|MB)\)$/gm)) {
    files.push(m[1]!);
    total += Number(m[2]) * units[m[3]!]!;
  }
  assert.ok(files.length > 20, `no file list in the output:\n${printed}`);
  assert.ok(!files.some((f) => /swagger|\/docs\/|\/tests\//.test(f)), files.join("\n"));
  console.log(`JSR package: ${files.length} files, ${(total / KB).toFixed(1)} KB`);
  assert.ok(total < JSR_LIMIT, `the JSR package is ${Math.round(total)} B`);
});

test("the npm package (npm pack --dry-run) is under 1 MB unpacked", ONCE, async () => {
  const printed = await ok("npm", ["pack", "--dry-run", "--json"], true);
  const [info] = JSON.parse(printed.slice(printed.search(/^\[/m)));
  const files: string[] = info.files.map((f: { path: string }) => f.path);
  assert.ok(!files.some((f) => /swagger/i.test(f)), files.join("\n"));
  assert.ok(files.includes("docs/emulator.md"), "the emulator's reference is in the package");
  console.log(`npm package: ${files.length} files, ${(info.unpackedSize / KB).toFixed(1)} KB`);
  assert.ok(info.unpackedSize < NPM_UNPACKED_LIMIT, `the npm package is ${info.unpackedSize} B`);
});

test("the emulator's --help points at its reference, docs/emulator.md", async () => {
  const help = await ok(join(bin, "deno"), ["run", "-A", "src/emulator/cli.ts", "--help"]);
  assert.match(help, /docs\/emulator\.md/);
  assert.doesNotMatch(help, /CONTROL\.md/);
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.ok(pkg.files.includes("docs/emulator.md"), "package.json files");
  assert.match(readFileSync(join(root, "docs", "emulator.md"), "utf8"), /## Control surface/);
});

test("package.json says where the project lives, and the README's images load on the registry", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.match(pkg.repository?.url ?? "", /^git\+https:\/\/github\.com\/[\w-]+\/[\w-]+\.git$/);
  assert.match(pkg.homepage ?? "", /^https:\/\//);
  assert.match(pkg.bugs?.url ?? "", /^https:\/\/.*\/issues$/);
  assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.includes("trustauthx"), "keywords");
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)|<img[^>]+src="([^"]+)"/g)]
    .map((m) => m[1] ?? m[2] ?? "");
  for (const src of images) assert.match(src, /^https:\/\//, `README image ${src} is relative`);
});
