// parseCookies() (src/web/_cookie.ts) parses by index since issue 21; its
// results are those of the first version, written with regular expressions
// (kept here as the reference), over edge cases and seeded random headers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCookies } from "../src/web/_cookie.ts";

const NAME = /^[!#-:<>-[\]-~]+$/;
const VALUE = /^[ !#-:<-[\]-~]*$/;

/** The first version, as it was. */
function reference(header: string | null | undefined): Record<string, string> {
  const trim = (text: string) => text.replace(/^[ \t]+|[ \t]+$/g, "");
  const decode = (value: string) => {
    if (!value.includes("%")) return value;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  };
  const jar: Record<string, string> = Object.create(null);
  if (!header) return jar;
  for (const pair of header.split(";")) {
    const at = pair.indexOf("=");
    if (at === -1) continue;
    const name = trim(pair.slice(0, at));
    if (!NAME.test(name) || name in jar) continue;
    let value = trim(pair.slice(at + 1));
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    if (VALUE.test(value)) jar[name] = decode(value);
  }
  return jar;
}

test("parseCookies() reads edge cases as the first version did", () => {
  for (
    const header of [
      undefined,
      null,
      "",
      ";",
      ";;",
      "=",
      "a=1;",
      "a=",
      ' a = "b" ',
      'a=""',
      'a="',
      "a=1; a=2",
      "\ta\t=\t1\t",
      "a=%41%42; b=%E0; c=%",
      "__proto__=1; constructor=x",
      "a=b=c; d",
      "a=\u00e9; b=x,y; c=x\\y; d=x y",
      `authlite_access=${"x".repeat(1500)}; authlite_refresh=${"y".repeat(1400)}`,
    ]
  ) {
    assert.deepStrictEqual({ ...parseCookies(header) }, { ...reference(header) }, String(header));
  }
});

test("parseCookies() reads random headers as the first version did", () => {
  const alphabet = [
    " ",
    "\t",
    ";",
    "=",
    '"',
    "a",
    "b",
    "%",
    "%41",
    "%E0",
    ",",
    "\\",
    "é",
    "_",
    "\n",
  ];
  let seed = 21;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 20_000; i++) {
    let header = "";
    for (let j = next(24); j > 0; j--) header += alphabet[next(alphabet.length)];
    assert.deepStrictEqual(
      { ...parseCookies(header) },
      { ...reference(header) },
      JSON.stringify(header),
    );
  }
});
