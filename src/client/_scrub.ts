/**
 * Keep secrets and tokens out of anything that surfaces: error messages,
 * body excerpts and causes.
 *
 * @module
 */

const REDACTED = "[redacted]";
const EXCERPT_LENGTH = 160;
// A compact JWS or JWT, even truncated after its first dot.
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_.-]*/g;
// A query string: everything from "?" to the next blank or quote, if it holds a "=".
const QUERY = /\?[^\s"'<>`]*=[^\s"'<>`]*/g;
// A field whose name says it holds a secret, in JSON, form or query syntax.
const SENSITIVE_FIELD =
  /((?:^|[^A-Za-z0-9])[\w-]*(?:token|secret|key|password|signature|code|authorization)[\w-]*["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,&;}"'\]]+)/gi;

/**
 * Replace every secret of `secrets` (and their URL-encoded forms), every
 * JWT-looking string, every query string and every value of a field named
 * like a secret in `text`.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  const values = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 3) continue;
    values.add(secret);
    values.add(encodeURIComponent(secret));
    values.add(JSON.stringify(secret).slice(1, -1));
  }
  let out = text;
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    out = out.split(value).join(REDACTED);
  }
  return out
    .replace(JWT, REDACTED)
    .replace(QUERY, "")
    .replace(SENSITIVE_FIELD, (_match, name: string) => `${name}${REDACTED}`);
}

/** A short, single-line, scrubbed excerpt of a reply body. */
export function excerpt(body: string, secrets: readonly string[]): string {
  const text = scrub(body.replace(/\s+/g, " ").trim(), secrets);
  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}…` : text;
}

/**
 * A fresh `Error` that tells what `err` says, scrubbed, without its stack,
 * its cause chain or its extra properties (some runtimes put the URL there).
 */
export function scrubError(err: unknown, secrets: readonly string[]): Error {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 3 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error || (typeof current === "object" && "message" in current)) {
      const e = current as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
      const code = typeof e.code === "string" ? ` (${e.code})` : "";
      parts.push(`${typeof e.name === "string" ? e.name : "Error"}${code}: ${String(e.message)}`);
      current = e.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  const clean = new Error(scrub(parts.join(": "), secrets));
  clean.name = "UpstreamFailure";
  // The stack would only repeat the message and point into our own code.
  clean.stack = `${clean.name}: ${clean.message}`;
  return clean;
}
