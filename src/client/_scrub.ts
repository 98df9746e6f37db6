/**
 * Keep secrets and tokens out of anything that surfaces: error messages,
 * body excerpts and causes.
 *
 * @module
 */
import { encodeBase64url } from "../_base64url.ts";

const REDACTED = "[redacted]";
const EXCERPT_LENGTH = 160;
// A compact JWS or JWT, even truncated after its first dot.
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_.-]*/g;
// A query string: everything from "?" to the next blank or quote, if it holds a "=".
const QUERY = /\?[^\s"'<>`]*=[^\s"'<>`]*/g;
// A field whose name says it holds a secret, in JSON, form or query syntax.
const SENSITIVE_FIELD =
  /((?:^|[^A-Za-z0-9])[\w-]*(?:token|secret|key|password|signature|code|authorization)[\w-]*["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,&;}"'\]]+)/gi;

const encoder = new TextEncoder();

/**
 * The parts of the base64 encodings of `secret` that any base64 text holding
 * it shows, whatever its alignment in the encoded text (three of them): the
 * characters made of the secret's bits alone.
 */
function base64Cores(secret: string): string[] {
  const bytes = encoder.encode(secret);
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const padded = new Uint8Array(k + bytes.length);
    padded.set(bytes, k);
    // base64 is base64url with two other letters: one encoder makes both.
    const url = encodeBase64url(padded);
    const core = url.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    if (core.length >= 4) {
      out.push(core.replace(/-/g, "+").replace(/_/g, "/"), core);
    }
  }
  return out;
}

/**
 * `text` with every occurrence of `needle` replaced, in any letter case. No
 * regular expression: a needle of any length (a token is input) is searched
 * as text, never compiled.
 */
function redactAll(text: string, needle: string): string {
  const lowerNeedle = needle.toLowerCase();
  let lower = text.toLowerCase();
  // Letter case that changes a string's length (rare Unicode): search as given.
  const folded = lower.length === text.length && lowerNeedle.length === needle.length;
  const haystack = () => (folded ? lower : text);
  const wanted = folded ? lowerNeedle : needle;
  let out = text;
  let at = haystack().indexOf(wanted);
  while (at !== -1) {
    out = out.slice(0, at) + REDACTED + out.slice(at + needle.length);
    lower = out.toLowerCase();
    at = haystack().indexOf(wanted, at + REDACTED.length);
  }
  return out;
}

/**
 * Replace every secret of `secrets` (in any letter case, URL-encoded, as a
 * JSON string, in base64 or base64url at any alignment), every JWT-looking
 * string, every query string and every value of a field named like a secret
 * in `text`. It never throws: if anything goes wrong, nothing of `text` is kept.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  try {
    const values = new Set<string>();
    for (const secret of secrets) {
      if (secret.length < 3) continue;
      values.add(secret);
      values.add(encodeURIComponent(secret));
      values.add(JSON.stringify(secret).slice(1, -1));
      if (secret.length >= 6) { for (const core of base64Cores(secret)) values.add(core); }
    }
    let out = text;
    for (const value of [...values].sort((a, b) => b.length - a.length)) {
      out = redactAll(out, value);
    }
    return out
      .replace(JWT, REDACTED)
      .replace(QUERY, "")
      .replace(SENSITIVE_FIELD, (_match, name: string) => `${name}${REDACTED}`);
  } catch {
    return REDACTED;
  }
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
