// bearerOf() parses Authorization by hand (it runs on every RPC request): it
// must answer exactly what the grammar `Bearer[ \t]+(\S+)[ \t]*` (any case) does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bearerOf } from "../src/_bearer.ts";
import { timingSafeEqualText } from "../src/_compare.ts";
import { CredentialSet } from "../src/gateway/_credentials.ts";

const grammar = (h: string | undefined) =>
  h === undefined ? undefined : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(h)?.[1];

test("bearerOf() answers as the Bearer grammar on edge cases", () => {
  const cases = [
    undefined,
    "",
    "Bearer",
    "Bearer ",
    "Bearer x",
    "bearer x",
    "BEARER\tx\t",
    "Bearer  x  ",
    "Bearerx",
    "Basic x",
    "Bearer x y",
    "Bearer x\n",
    "Bearer \nx",
    "Bearer x\u00a0",
    "Bearer \u2028x",
    "Bearer x\ufeff",
    " Bearer x",
    "Bearer key-0123456789abcdef",
  ];
  for (const h of cases) assert.equal(bearerOf(h), grammar(h), JSON.stringify(h));
});

test("bearerOf() answers as the Bearer grammar on 20 000 random headers", () => {
  const alphabet = [
    "Bearer",
    "bEaReR",
    " ",
    "\t",
    "\n",
    "\r",
    "\u00a0",
    "\u2003",
    "\u3000",
    "a",
    "=",
    ".",
    "é",
    "\ufeff",
  ];
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 20_000; i++) {
    let h = "";
    const parts = 1 + rand(6);
    for (let j = 0; j < parts; j++) h += alphabet[rand(alphabet.length)];
    assert.equal(bearerOf(h), grammar(h), JSON.stringify(h));
  }
});

test("CredentialSet.matches() takes exactly the accepted credentials", () => {
  const set = new CredentialSet(["service-key-0123456789", "next-key-é-0123456789"]);
  assert.equal(set.matches("service-key-0123456789"), true);
  assert.equal(set.matches("next-key-é-0123456789"), true);
  for (
    const wrong of [
      "",
      "service-key-012345678",
      "service-key-01234567890",
      "service-key-0123456788",
      "Service-key-0123456789",
      "next-key-e-0123456789",
      "service-key-0123456789service-key-0123456789",
    ]
  ) {
    assert.equal(set.matches(wrong), false, wrong);
  }
  assert.equal(new CredentialSet([]).matches(""), false);
  assert.equal(timingSafeEqualText("abc", "abc"), true);
  assert.equal(timingSafeEqualText("abc", "abd"), false);
  assert.equal(timingSafeEqualText("abc", ""), false);
});
