/**
 * Checks of the caller's arguments, made before any request. Messages name
 * the argument, never its value.
 *
 * @module
 */
import { AuthLiteInputError } from "../errors.ts";

/** A non-empty string, or `ERR_BAD_INPUT`. */
export function requireText(value: unknown, name: string): string {
  if (typeof value !== "string") {
    throw new AuthLiteInputError(
      "ERR_BAD_INPUT",
      value === undefined || value === null
        ? `Missing argument: ${name}`
        : `Invalid argument: ${name} must be a string`,
    );
  }
  if (value.trim() === "") throw new AuthLiteInputError("ERR_BAD_INPUT", `Empty argument: ${name}`);
  if (value.length > MAX_TEXT_LENGTH) {
    // A token, a code or an id this long is no good; sent upstream in a query
    // string it would only fail there (and cost an upstream call).
    throw new AuthLiteInputError(
      "ERR_BAD_INPUT",
      `Invalid argument: ${name} is longer than ${MAX_TEXT_LENGTH} characters`,
    );
  }
  return value;
}

/** The longest token, code or id the client takes. */
export const MAX_TEXT_LENGTH = 8192;

/** `undefined`, or a non-empty string. */
export function optionalText(value: unknown, name: string): string | undefined {
  return value === undefined ? undefined : requireText(value, name);
}

/** One id or a list of ids, as a list of non-empty strings (possibly empty if `allowEmpty`). */
export function requireIdList(value: unknown, name: string, allowEmpty = false): string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list)) {
    throw new AuthLiteInputError(
      "ERR_BAD_INPUT",
      `Invalid argument: ${name} must be a string or a list of strings`,
    );
  }
  if (list.length === 0 && !allowEmpty) {
    throw new AuthLiteInputError("ERR_BAD_INPUT", `Empty argument: ${name}`);
  }
  return list.map((id, i) => requireText(id, `${name}[${i}]`));
}

/** A boolean, or `undefined` as `false`. */
export function optionalFlag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new AuthLiteInputError("ERR_BAD_INPUT", `Invalid argument: ${name} must be a boolean`);
  }
  return value;
}

/**
 * Permission keys that would vanish on the way: assigning `__proto__` to a
 * plain object sets its prototype, and the reply schemas (valibot's record)
 * drop all three as a guard against prototype pollution.
 */
export const RESERVED_PERMISSION_KEYS: readonly string[] = [
  "__proto__",
  "constructor",
  "prototype",
];

/**
 * Permissions as the upstream wants them: a list of `{key: value}` maps. A
 * map is split into one entry per key; a list is checked and kept as given.
 * A reserved key ({@linkcode RESERVED_PERMISSION_KEYS}) is refused, named.
 */
export function requirePermissions(
  value: unknown,
  name: string,
  allowEmpty: boolean,
): Array<Record<string, string>> {
  const invalid = () =>
    new AuthLiteInputError(
      "ERR_BAD_INPUT",
      `Invalid argument: ${name} must map permission keys to string values`,
    );
  const checkMap = (map: unknown): Record<string, string> => {
    if (typeof map !== "object" || map === null || Array.isArray(map)) throw invalid();
    const reserved = RESERVED_PERMISSION_KEYS.filter((key) => Object.hasOwn(map, key));
    if (reserved.length > 0) {
      throw new AuthLiteInputError(
        "ERR_BAD_INPUT",
        `Invalid argument: ${name} has reserved keys: ${reserved.join(", ")}`,
      );
    }
    const out: Record<string, string> = {};
    for (const [key, val] of Object.entries(map)) {
      if (key.trim() === "" || typeof val !== "string") throw invalid();
      out[key] = val;
    }
    return out;
  };
  let list: Array<Record<string, string>>;
  if (Array.isArray(value)) {
    list = value.map(checkMap).filter((map) => Object.keys(map).length > 0);
  } else {
    list = Object.entries(checkMap(value)).map(([key, val]) => ({ [key]: val }));
  }
  if (list.length === 0 && !allowEmpty) {
    throw new AuthLiteInputError("ERR_BAD_INPUT", `Empty argument: ${name}`);
  }
  return list;
}
