/**
 * A fast input check for the RPC routes, derived from the route's own zod
 * schema (one source of truth: the schema still makes the OpenAPI document
 * and still answers every input it does not accept at once).
 *
 * {@linkcode fastCheckOf} compiles a small subset of zod (objects of strings
 * with length bounds, booleans, optional fields, nested objects) into a
 * plain function; a schema outside the subset gets none. The route's
 * middleware ({@linkcode fastJsonRoute}) runs before `@hono/zod-openapi`'s
 * media-type gate and zod validator: a request with a plain JSON media type
 * whose body the check accepts goes to the handler at once; anything else
 * (another media type, malformed JSON, a value the check does not accept) goes
 * on to the zod validator, which answers exactly as without the fast path.
 * So the check may only accept what zod accepts, with zod's output:
 * `tests/gateway_fast_input.test.ts` compares the two over valid and hostile
 * inputs.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";

/** What a check returns for an input it does not accept. */
const REJECT: unique symbol = Symbol("reject");

/** A compiled check: zod's output for an accepted input, or `REJECT`. */
export type FastCheck = (input: unknown) => unknown;

/** Whether a check's result is a rejection. */
export function rejected(result: unknown): boolean {
  return result === REJECT;
}

// zod 4's definitions, as far as the subset reads them.
interface Def {
  type?: unknown;
  shape?: Record<string, { _zod?: { def?: Def } }>;
  innerType?: { _zod?: { def?: Def } };
  checks?: { _zod?: { def?: Record<string, unknown> } }[];
  catchall?: unknown;
}

const defOf = (schema: unknown): Def | undefined =>
  (schema as { _zod?: { def?: Def } } | null | undefined)?._zod?.def;

/** Whether `def` has no keys but these (a key we do not know changes what is accepted). */
function only(def: object, keys: readonly string[]): boolean {
  for (const key of Object.keys(def)) if (!keys.includes(key)) return false;
  return true;
}

// `when` can only skip a check (so zod accepts more, never less: the fast
// path then falls back); `error` and `abort` change messages, not acceptance.
const LENGTH_CHECK_KEYS = ["check", "minimum", "maximum", "when", "error", "abort"];

function stringCheck(def: Def): FastCheck | undefined {
  if (!only(def, ["type", "checks"])) return undefined;
  let min = 0;
  let max = Infinity;
  for (const check of def.checks ?? []) {
    const c = check._zod?.def;
    if (c === undefined || !only(c, LENGTH_CHECK_KEYS)) return undefined;
    if (c.check === "min_length" && typeof c.minimum === "number") min = Math.max(min, c.minimum);
    else if (c.check === "max_length" && typeof c.maximum === "number") {
      max = Math.min(max, c.maximum);
    } else return undefined;
  }
  return (input) =>
    typeof input === "string" && input.length >= min && input.length <= max ? input : REJECT;
}

function objectCheck(def: Def): FastCheck | undefined {
  if (!only(def, ["type", "shape"]) || def.catchall !== undefined || def.shape === undefined) {
    return undefined;
  }
  const fields: { key: string; optional: boolean; check: FastCheck }[] = [];
  for (const [key, schema] of Object.entries(def.shape)) {
    let inner = defOf(schema);
    let optional = false;
    if (inner?.type === "optional" && only(inner, ["type", "innerType"])) {
      optional = true;
      inner = defOf(inner.innerType);
    }
    const check = inner === undefined ? undefined : compile(inner);
    if (check === undefined) return undefined;
    fields.push({ key, optional, check });
  }
  return (input) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return REJECT;
    // zod's default: the declared keys only, in the schema's order; others dropped.
    const out: Record<string, unknown> = {};
    for (const { key, optional, check } of fields) {
      const value = (input as Record<string, unknown>)[key];
      if (value === undefined) {
        if (optional) continue;
        return REJECT;
      }
      const checked = check(value);
      if (checked === REJECT) return REJECT;
      out[key] = checked;
    }
    return out;
  };
}

function compile(def: Def): FastCheck | undefined {
  switch (def.type) {
    case "string":
      return stringCheck(def);
    case "boolean":
      return only(def, ["type"])
        ? (input) => (typeof input === "boolean" ? input : REJECT)
        : undefined;
    case "object":
      return objectCheck(def);
    default:
      return undefined;
  }
}

/**
 * The fast check of a zod schema, if the schema is in the subset it knows.
 *
 * @param schema a zod schema (an RPC route's input)
 * @returns the check, or `undefined` (then the route has no fast path)
 */
export function fastCheckOf(schema: unknown): FastCheck | undefined {
  const def = defOf(schema);
  return def?.type === "object" ? objectCheck(def) : undefined;
}

// The media types both of @hono/zod-openapi's gate and hono's JSON validator
// accept, spelled as clients send them; any other spelling takes the slow path.
const JSON_TYPES = new Set([
  "application/json",
  "application/json; charset=utf-8",
  "application/json;charset=utf-8",
  "application/json; charset=UTF-8",
  "application/json;charset=UTF-8",
]);

/**
 * Whether a `Content-Type` is one the fast check takes (the JSON media type,
 * written as clients write it).
 *
 * @param type the header's value
 * @returns `true` when it is
 */
export function isJsonType(type: string | null | undefined): boolean {
  return type !== undefined && type !== null && JSON_TYPES.has(type);
}

/**
 * The route middleware of a JSON route with a fast check: an accepted body
 * goes to `handler` at once; anything else to the route's zod validator.
 *
 * @param check the route's fast check
 * @param handler the route's handler (reads `c.req.valid("json")`)
 * @returns the middleware to give the route (`middleware` of `createRoute`)
 */
export function fastJsonRoute(
  check: FastCheck,
  handler: (c: Context) => Response | Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => {
    const type = c.req.header("content-type");
    if (!isJsonType(type)) return await next();
    let body: unknown;
    try {
      // Kept by hono: the validator reads the same parse (or the same failure).
      body = await c.req.json();
    } catch {
      return await next();
    }
    const value = check(body);
    if (value === REJECT) return await next();
    c.req.addValidatedData("json", value as Record<string, unknown>);
    return await handler(c);
  };
}
