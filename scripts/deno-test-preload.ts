/**
 * Preloaded by `scripts/test.sh` into every `deno test` of a test file
 * (`deno test --preload=scripts/deno-test-preload.ts`).
 *
 * Deno runs `node:test` files through a shim that lets some failures pass,
 * where `bun test` catches them: a throw at the top level after the first
 * `test()` (the rest of the file is silently dropped), an error thrown later
 * from a timer, and a promise rejection nobody handles. This file catches
 * each of them and fails a test for it:
 *
 * - an error or rejection seen while a test runs fails that test;
 * - one seen between tests (a timer of an earlier test, top-level code) fails
 *   the next test, which says so;
 * - one seen after the last test fails the check this file adds at the end
 *   of every test file ({@link LAST_CHECK}).
 *
 * With `AUTHLITE_TEST_LEAKS=1` it also turns Deno's leak checks back on.
 *
 * @module
 */

/** The name of the check added after the last test of each file. */
export const LAST_CHECK = "(after the last test: no uncaught error)";

const seen: unknown[] = [];

globalThis.addEventListener("unhandledrejection", (e) => {
  seen.push(e.reason);
});
globalThis.addEventListener("error", (e) => {
  seen.push(e.error ?? e.message);
});

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function throwSeen(when: string): void {
  if (seen.length === 0) return;
  const errors = seen.splice(0);
  throw new AggregateError(
    errors,
    `Uncaught ${errors.length === 1 ? "error" : "errors"} ${when}: ${
      errors.map(describe).join("; ")
    }`,
  );
}

// One turn of the event loop, so that a rejection left by the test is reported.
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

// Deno's leak checks (timers, sockets, response bodies, child processes left
// open by a test), which its node:test shim turns off. Opt-in for now:
// AUTHLITE_TEST_LEAKS=1 (some tests of the suite still leak).
const leakChecks = Deno.env.get("AUTHLITE_TEST_LEAKS") === "1";

type TestFn = (t: Deno.TestContext) => void | Promise<void>;
const register = Deno.test as unknown as (def: Deno.TestDefinition) => void;

(Deno as { test: unknown }).test = function test(...args: unknown[]): void {
  const def = args[0] as Deno.TestDefinition;
  // The node:test shim passes one definition object; anything else goes through as it is.
  if (args.length !== 1 || typeof def !== "object" || typeof def?.fn !== "function") {
    return (register as (...a: unknown[]) => void)(...args);
  }
  const fn = def.fn as TestFn;
  register({
    ...def,
    ...(leakChecks ? { sanitizeOps: true, sanitizeResources: true } : {}),
    fn: async (t: Deno.TestContext): Promise<void> => {
      throwSeen(
        "before this test started (top-level code, or a timer or promise of an earlier test)",
      );
      await fn(t);
      await settle();
      throwSeen("while this test ran (a timer or an unhandled promise rejection)");
    },
  });
};

// "load" comes after the test file's top-level code, whether or not it threw.
globalThis.addEventListener("load", () => {
  register({
    name: LAST_CHECK,
    fn: async (): Promise<void> => {
      await settle();
      throwSeen("after the last test");
    },
  });
});
