/**
 * Test helper: Deno KV, decided rather than discovered. Under Deno it is
 * required (deno.json: `"unstable": ["kv"]`), in CI (`CI=true`) and out of it:
 * a missing `Deno.openKv` fails the test. Only Bun, which cannot have it,
 * skips, and says so by name.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
const DenoNs = (globalThis as any).Deno as typeof Deno | undefined;

/** `false` under Deno; under another runtime, the reason its Deno KV tests are skipped. */
export const denoKvSkip: string | false = DenoNs === undefined
  ? "Deno KV exists only under Deno (this runtime cannot have it)"
  : false;

/**
 * Open a Deno KV database (`:memory:` unless a path is given).
 *
 * @throws {Error} when this is Deno without Deno KV, in CI or not
 */
export async function openDenoKv(path = ":memory:"): Promise<Deno.Kv> {
  if (DenoNs === undefined) throw new Error("Deno KV exists only under Deno");
  if (typeof DenoNs.openKv !== "function") {
    throw new Error(
      `Deno KV is missing: deno.json must keep "unstable": ["kv"]${
        DenoNs.env.get("CI") === "true" ? " (CI=true: a missing component fails)" : ""
      }`,
    );
  }
  return await DenoNs.openKv(path);
}
