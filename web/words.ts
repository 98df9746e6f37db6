/**
 * Turn failed gateway replies into sentences a person can read: the page never shows
 * JSON, status codes alone or stack traces.
 *
 * @module
 */

/** What the page was trying to do, in words that fit "Could not {action}". */
export type Action = string;

const MAX_DETAIL = 200;
// Validation targets that lead an issue's path and mean nothing to a person.
const TARGETS = new Set(["json", "query", "param", "header", "cookie", "form"]);

/**
 * Pull a human message out of a gateway error body, whatever its shape:
 * `{ error: { message } }`, `{ message }`, `{ detail }`, zod issues, or plain text.
 * Returns `""` when there is nothing readable (never JSON).
 *
 * @param body the parsed JSON body, or the text of the body
 * @returns a short sentence fragment, or `""`
 */
export function detailOf(body: unknown): string {
  if (typeof body === "string") {
    const text = body.trim();
    if (!text || /^[[{<]/.test(text)) return "";
    return clip(text);
  }
  if (!body || typeof body !== "object") return "";
  const o = body as Record<string, unknown>;
  const issues = issuesOf(o["error"]) ?? issuesOf(o);
  if (issues) return clip(issues);
  const error = o["error"];
  if (typeof error === "string" && !o["message"]) return detailOf(error);
  if (error && typeof error === "object") {
    const inner = detailOf(error);
    if (inner) return inner;
  }
  for (const key of ["message", "detail", "title"]) {
    const value = o[key];
    if (typeof value === "string" && value.trim()) return detailOf(value);
  }
  return "";
}

function issuesOf(value: unknown): string | undefined {
  if (!value || typeof value !== "object") return undefined;
  const issues = (value as Record<string, unknown>)["issues"];
  if (!Array.isArray(issues) || issues.length === 0) return undefined;
  const parts: string[] = [];
  for (const issue of issues.slice(0, 3)) {
    if (!issue || typeof issue !== "object") continue;
    const { path, message } = issue as { path?: unknown; message?: unknown };
    const at = Array.isArray(path) ? path.filter((p, i) => i > 0 || !TARGETS.has(String(p))) : [];
    const where = at.length > 0 ? `${at.join(".")}: ` : "";
    if (typeof message === "string") parts.push(`${where}${message}`);
  }
  return parts.length > 0 ? parts.join("; ") : undefined;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > MAX_DETAIL ? `${oneLine.slice(0, MAX_DETAIL - 1)}…` : oneLine;
}

/**
 * Describe a failed request in words.
 *
 * @param action what was attempted, e.g. `"load the roles"` (used as "Could not load the roles")
 * @param status the HTTP status, or `0` when the server could not be reached
 * @param body the parsed body of the reply (JSON value or text), if any
 * @returns one or two sentences, ending with a full stop
 *
 * @example
 * ```ts
 * import { describeFailure } from "./words.ts";
 * describeFailure("load the roles", 403, { error: { code: "FORBIDDEN" } });
 * // "You are not allowed to load the roles: your account does not have the permission it needs."
 * ```
 */
export function describeFailure(action: Action, status: number, body?: unknown): string {
  const code = codeOf(body);
  const upstream = upstreamOf(detailOf(body));
  const detail = upstream ? upstream.detail : detailOf(body);
  const because = detail ? ` ${sentence(detail)}` : "";
  if (status === 502 || status === 503 || status === 504) {
    switch (true) {
      case upstream !== undefined && upstream.status < 500:
        return `Could not ${action}: TrustAuthX refused it.${because}`;
      case code === "ERR_BAD_REPLY" || code === "ERR_BAD_SIGNATURE":
        return `Could not ${action}: TrustAuthX answered something that failed the gateway's checks. Try again.`;
      default:
        return `Could not ${action}: TrustAuthX is not answering right now. Try again in a moment.`;
    }
  }
  switch (true) {
    case status === 0:
      return `Could not ${action}: the server could not be reached. Check that it is running and try again.`;
    case status === 401:
      return `Could not ${action}: you are signed out. Sign in again to continue.`;
    case status === 403: {
      const missing = /^Missing permission: (.+)$/i.exec(detail)?.[1];
      return missing
        ? `You are not allowed to ${action}: your account does not have the “${missing}” permission.`
        : `You are not allowed to ${action}: your account does not have the permission it needs.${because}`;
    }
    case status === 404:
      return `Could not ${action}: it was not found (it may have been removed already).${because}`;
    case status === 400 || status === 422:
      return `Could not ${action}: the request was not accepted.${because}`;
    case status === 409:
      return `Could not ${action}: it conflicts with what already exists.${because}`;
    case status === 429:
      return `Could not ${action}: too many requests. Wait a moment and try again.`;
    case status >= 500:
      return `Could not ${action}: the server had a problem.${because}`;
    default:
      return `Could not ${action} (HTTP ${status}).${because}`;
  }
}

function codeOf(body: unknown): string {
  if (!body || typeof body !== "object") return "";
  const error = (body as Record<string, unknown>)["error"];
  if (!error || typeof error !== "object") return "";
  const code = (error as Record<string, unknown>)["code"];
  return typeof code === "string" ? code : "";
}

/**
 * Read the client's "Upstream answered 404: /rbac/role: <excerpt>" message: the upstream
 * status, and the excerpt's words (an excerpt that is JSON gives its `detail`/`message`,
 * never the JSON itself).
 */
function upstreamOf(message: string): { status: number; detail: string } | undefined {
  const m = /^Upstream answered (\d{3}): \S+?(?:: (.*))?$/.exec(message);
  if (!m) return undefined;
  const raw = (m[2] ?? "").trim();
  let detail = "";
  if (raw) {
    try {
      detail = detailOf(JSON.parse(raw));
    } catch {
      detail = detailOf(raw);
    }
  }
  return { status: Number(m[1]), detail };
}

function sentence(text: string): string {
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}
