// Private helpers shared by the emulator's routes: replies, credentials, input parsing.

import type { Context } from "hono";
import { safeEqual } from "./jwt.ts";
import { EmulatorError, type OrgState, type State } from "./state.ts";

/** Paths and the methods they answer, for 405 versus 404. */
export type Routes = Map<string, Set<string>>;

/** Remember that `path` answers `method`. */
export function allow(routes: Routes, method: string, path: string): void {
  const set = routes.get(path) ?? new Set<string>();
  set.add(method);
  routes.set(path, set);
}

/** A JSON reply; `X-EDGE` when the organisation is known. */
export function json(status: number, value: unknown, org?: OrgState): Response {
  const headers = new Headers({ "content-type": "application/json" });
  if (org) headers.set("X-EDGE", String(org.roleCount()));
  return new Response(JSON.stringify(value), { status, headers });
}

/**
 * The organisation's own credentials rejected: the reply names the value
 * (`credential`), so a client tells it from a user's token rejected.
 */
export class CredentialRejection extends EmulatorError {
  /** The query parameter rejected. */
  readonly credential: "api_key" | "signed_key" | "org_id";

  /**
   * @param status 401, or 403 for `org_id`
   * @param credential the query parameter rejected
   * @param message the detail
   */
  constructor(status: number, credential: "api_key" | "signed_key" | "org_id", message: string) {
    super(status, message);
    this.credential = credential;
  }
}

/** The JSON reply for an error: `{detail}` (and `credential` for one), never a stack. */
export function errorReply(err: unknown, org?: OrgState): Response {
  if (err instanceof CredentialRejection) {
    return json(err.status, { detail: err.message, credential: err.credential }, org);
  }
  if (err instanceof EmulatorError) return json(err.status, { detail: err.message }, org);
  return json(500, { detail: "Internal error" }, org);
}

/** A required query parameter. */
export function query(c: Context, name: string): string {
  const v = c.req.query(name);
  if (v === undefined || v === "") throw new EmulatorError(400, `Missing query parameter: ${name}`);
  return v;
}

/** A query boolean: `True`/`true`/`False`/`false`; `fallback` when absent. */
export function queryBool(c: Context, name: string, fallback?: boolean): boolean {
  const v = c.req.query(name);
  if (v === undefined || v === "") {
    if (fallback === undefined) throw new EmulatorError(400, `Missing query parameter: ${name}`);
    return fallback;
  }
  if (v === "true" || v === "True") return true;
  if (v === "false" || v === "False") return false;
  throw new EmulatorError(400, `Invalid query parameter: ${name} must be true or false`);
}

/**
 * Check `api_key` and `signed_key` (the exact HS256 JWS of `{"api_key": ...}` with the
 * organisation's secret); with `orgIdParam`, the `org_id` query too.
 */
export function authenticate(c: Context, state: State, orgIdParam = false): OrgState {
  const apiKey = c.req.query("api_key");
  const signedKey = c.req.query("signed_key");
  if (!apiKey) throw new CredentialRejection(401, "api_key", "Missing credentials: api_key");
  if (!signedKey) {
    throw new CredentialRejection(401, "signed_key", "Missing credentials: signed_key");
  }
  const org = state.orgByApiKey(apiKey);
  if (!org) throw new CredentialRejection(401, "api_key", "Invalid credentials: unknown api_key");
  if (!safeEqual(signedKey, org.signedKey)) {
    throw new CredentialRejection(
      401,
      "signed_key",
      "Invalid credentials: signed_key does not match api_key",
    );
  }
  if (orgIdParam) {
    const orgId = c.req.query("org_id");
    if (!orgId) throw new CredentialRejection(403, "org_id", "Missing query parameter: org_id");
    if (orgId !== org.org.orgId) {
      throw new CredentialRejection(403, "org_id", "Forbidden: org_id does not match api_key");
    }
  }
  return org;
}

/** The JSON object body of a request. */
export async function jsonBody(
  c: Context,
  emptyIsObject = false,
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw new EmulatorError(400, "Invalid body: unreadable");
  }
  if (text.trim() === "" && emptyIsObject) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new EmulatorError(400, "Invalid body: not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new EmulatorError(400, "Invalid body: a JSON object is expected");
  }
  return value as Record<string, unknown>;
}

/** The fields of a submitted HTML form. */
export async function formBody(c: Context): Promise<Record<string, string>> {
  const type = c.req.header("content-type") ?? "";
  try {
    if (type.startsWith("application/x-www-form-urlencoded")) {
      return Object.fromEntries(new URLSearchParams(await c.req.text()));
    }
    if (type.startsWith("multipart/form-data")) {
      const out: Record<string, string> = {};
      for (const [k, v] of await c.req.formData()) if (typeof v === "string") out[k] = v;
      return out;
    }
  } catch {
    throw new EmulatorError(400, "Invalid body: unreadable form");
  }
  throw new EmulatorError(415, "Invalid body: a form is expected");
}

/** A required string field of a JSON body. */
export function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== "string" || v === "") throw new EmulatorError(400, `Missing field: ${name}`);
  return v;
}

/** An optional string field of a JSON body. */
export function optField(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new EmulatorError(400, `Invalid field: ${name}`);
  return v;
}

/** Does `value` equal the caller's organisation where a body names one? */
export function checkBodyOrg(body: Record<string, unknown>, org: OrgState): void {
  const v = body.org_id;
  if (v !== undefined && v !== null && v !== org.org.orgId) {
    throw new EmulatorError(403, "Forbidden: org_id does not match api_key");
  }
}
