// Adversarial (session 4): parseCookies() rewritten to parse by index looked
// for each pair's "=" from the pair's start to the end of the header, so a
// header of many pairs without "=" (";a;a;a;...;b=1", which any client can
// send on every /auth/* request) was scanned once per pair: quadratic in the
// header's length (64 KB: ~12 ms against ~1.5 ms for the same length of
// ordinary pairs, on Deno and Bun). The split-based parser before it was
// linear. Work is counted, not timed: the characters String.prototype.indexOf
// reads while parsing, which must stay within a small multiple of the
// header's length.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCookies } from "../src/web/_cookie.ts";

/** The characters indexOf reads while `run` runs (from `from` to the hit, or to the end). */
function scanned(run: () => void): number {
  const original = String.prototype.indexOf;
  let count = 0;
  String.prototype.indexOf = function (this: string, search: string, from?: number) {
    const start = Math.max(0, Math.min(from ?? 0, this.length));
    const at = original.call(this, search, from);
    count += (at === -1 ? this.length : at) - start;
    return at;
  };
  try {
    run();
  } finally {
    String.prototype.indexOf = original;
  }
  return count;
}

for (
  const [name, header] of [
    ["pairs without '='", "a;".repeat(8_000) + "b=1"],
    ["empty pairs", ";".repeat(16_000) + "b=1"],
    ["blanks between ';'", " ;".repeat(8_000) + "b=1"],
  ] as const
) {
  test(`parseCookies() reads a header of ${name} in linear work`, () => {
    let jar: Record<string, string> = {};
    const work = scanned(() => {
      jar = parseCookies(header);
    });
    assert.equal(jar.b, "1");
    assert.ok(
      work <= 4 * header.length,
      `${work} characters scanned for a header of ${header.length}`,
    );
  });
}

test("parseCookies() still reads ordinary headers (with the same counting)", () => {
  const header = 'x=1; y="2"; a;  z = 3 ;x=4; w=a%20b; v=a=b';
  let jar: Record<string, string> = {};
  const work = scanned(() => {
    jar = parseCookies(header);
  });
  assert.deepEqual({ ...jar }, { x: "1", y: "2", z: "3", w: "a b", v: "a=b" });
  assert.ok(work <= 4 * header.length);
});
