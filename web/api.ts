/**
 * What the page needs from the gateway, as plain async functions that never throw:
 * each answers a {@linkcode Result} whose failure is already a sentence.
 *
 * @module
 */

import { describeFailure } from "./words.ts";

/** The signed-in user and the state of their session, as the page shows them. */
export interface Me {
  /** The user id. */
  uid: string;
  /** The e-mail address. */
  email: string;
  /** The display name (may be empty). */
  name: string;
  /** The picture URL (may be empty). */
  img: string;
  /** The ids of the user's roles. */
  roles: string[];
  /** Whether the gateway had to refresh the access token to answer. */
  refreshed: boolean;
}

/** A role of the organisation. */
export interface UiRole {
  /** The role id. */
  rolId: string;
  /** The role name. */
  name: string;
  /** Its permissions, each a one-entry `{ key: value }` map. */
  permissions: Record<string, string>[];
}

/** The answer of every {@linkcode UiApi} call. */
export type Result<T> =
  | { ok: true; value: T }
  | { ok: false; status: number; message: string };

/** The gateway as the page sees it. */
export interface UiApi {
  /** The signed-in user (status 401 when signed out). */
  me(): Promise<Result<Me>>;
  /** Sign out of this session, or of every session when `all`. */
  logout(all: boolean): Promise<Result<true>>;
  /** The roles of the organisation (admin only). */
  listRoles(): Promise<Result<UiRole[]>>;
  /** Create a role. */
  addRole(name: string, permissions: Record<string, string>[]): Promise<Result<UiRole>>;
  /** Delete a role. */
  deleteRole(rolId: string): Promise<Result<true>>;
  /** Add permissions to a role. */
  addPermissions(rolId: string, permissions: Record<string, string>[]): Promise<Result<true>>;
  /** Remove permissions from a role. */
  deletePermissions(rolId: string, permissions: Record<string, string>[]): Promise<Result<true>>;
  /** Give roles to a user and take others away. */
  assignRoles(uid: string, add: string[], remove: string[]): Promise<Result<true>>;
  /** The gateway's figures (admin only): `GET /admin/status`. */
  status(): Promise<Result<GatewayStatus>>;
}

/** The figures of one span of time, as the status panel shows them. */
export interface StatusFigures {
  /** Share of token-set lookups answered from the cache (0 to 1), if any. */
  hitRatio: number | null;
  /** Lookups: hits and misses. */
  hits: number;
  /** Lookups not answered from the cache. */
  misses: number;
  /** Upstream calls, their p50 and p99 latency (ms) and errors by status or kind. */
  upstream: {
    calls: number;
    p50Ms: number | null;
    p99Ms: number | null;
    errors: Record<string, number>;
  };
  /** Store calls, their latency (ms) and errors by kind. */
  store: {
    calls: number;
    p50Ms: number | null;
    p99Ms: number | null;
    errors: Record<string, number>;
  };
}

/** The body of `GET /admin/status`, as the page reads it. */
export interface GatewayStatus {
  /** Since the gateway started. */
  total: StatusFigures;
  /** Over the last minute. */
  lastMinute: StatusFigures;
  /** Circuit breakers by name (`closed`, `open`, `half-open`). */
  breakers: Record<string, string>;
}

function figuresOf(value: unknown): StatusFigures {
  const o = (value ?? {}) as Record<string, Record<string, unknown>>;
  const num = (v: unknown): number | null => (typeof v === "number" ? v : null);
  const counts = (v: unknown): Record<string, number> => {
    const out: Record<string, number> = {};
    if (v && typeof v === "object") {
      for (const [k, n] of Object.entries(v)) if (typeof n === "number") out[k] = n;
    }
    return out;
  };
  const calls = (part: Record<string, unknown> | undefined) => ({
    calls: num(part?.["calls"]) ?? 0,
    p50Ms: num(part?.["p50Ms"]),
    p99Ms: num(part?.["p99Ms"]),
    errors: counts(part?.["errors"]),
  });
  if (!o["cache"] || !o["upstream"] || !o["store"]) throw new TypeError("Not a status");
  return {
    hitRatio: num(o["cache"]["hitRatio"]),
    hits: num(o["cache"]["hits"]) ?? 0,
    misses: num(o["cache"]["misses"]) ?? 0,
    upstream: calls(o["upstream"]),
    store: calls(o["store"]),
  };
}

/**
 * Read the body of `GET /admin/status`.
 *
 * @param body the parsed JSON body
 * @returns the figures
 * @throws {TypeError} when the body is not a status
 */
export function readStatus(body: unknown): GatewayStatus {
  const o = (body ?? {}) as Record<string, unknown>;
  const breakers: Record<string, string> = {};
  if (o["breakers"] && typeof o["breakers"] === "object") {
    for (const [k, v] of Object.entries(o["breakers"])) breakers[k] = String(v);
  }
  return { total: figuresOf(o["total"]), lastMinute: figuresOf(o["lastMinute"]), breakers };
}

/** Anything that looks like a fetch `Response` (hono/client's `ClientResponse` does). */
export interface ResponseLike {
  /** The HTTP status. */
  status: number;
  /** Whether the status is 2xx. */
  ok: boolean;
  /** The body as text. */
  text(): Promise<string>;
}

/**
 * Run one request and turn its reply into a {@linkcode Result}.
 *
 * @param action what is attempted, in words ("load the roles")
 * @param send sends the request
 * @param read turns the parsed JSON body of a success into the value
 * @returns the value, or the failure in words
 */
export async function attempt<T>(
  action: string,
  send: () => Promise<ResponseLike>,
  read: (body: unknown) => T,
): Promise<Result<T>> {
  let res: ResponseLike;
  try {
    res = await send();
  } catch {
    return { ok: false, status: 0, message: describeFailure(action, 0) };
  }
  let text = "";
  try {
    text = await res.text();
  } catch {
    // a body cut short still has a status worth reporting
  }
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  if (!res.ok) {
    return { ok: false, status: res.status, message: describeFailure(action, res.status, body) };
  }
  try {
    return { ok: true, value: read(body) };
  } catch {
    return {
      ok: false,
      status: res.status,
      message: `Could not ${action}: the server answered something the page does not understand.`,
    };
  }
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/**
 * Read the body of `GET /auth/me`, flat (`{uid, ..., refreshed}`) or nested
 * (`{user: {...}, session: {refreshed}}`).
 *
 * @param body the parsed JSON body
 * @returns the user and session state
 * @throws {TypeError} when the body has no user id
 */
export function readMe(body: unknown): Me {
  const o = (body ?? {}) as Record<string, unknown>;
  const user = (o["user"] && typeof o["user"] === "object" ? o["user"] : o) as Record<
    string,
    unknown
  >;
  const session = (o["session"] && typeof o["session"] === "object" ? o["session"] : o) as Record<
    string,
    unknown
  >;
  const uid = str(user["uid"]);
  if (!uid) throw new TypeError("No uid");
  const roles = Array.isArray(user["roles"]) ? user["roles"].map(String) : [];
  const refreshed = session["refreshed"] === true || session["state"] === "refreshed";
  return {
    uid,
    email: str(user["email"]),
    name: str(user["name"]),
    img: str(user["img"]),
    roles,
    refreshed,
  };
}

/**
 * Read one role (snake_case or camelCase).
 *
 * @param body the parsed JSON of a role
 * @returns the role
 * @throws {TypeError} when the body has no role id
 */
export function readRole(body: unknown): UiRole {
  const o = (body ?? {}) as Record<string, unknown>;
  const rolId = str(o["rolId"]) || str(o["rol_id"]) || str(o["id"]);
  if (!rolId) throw new TypeError("No rol_id");
  const raw = o["permissions"];
  const permissions: Record<string, string>[] = [];
  if (Array.isArray(raw)) {
    for (const p of raw) {
      if (p && typeof p === "object") {
        for (const [k, v] of Object.entries(p)) permissions.push({ [k]: String(v) });
      }
    }
  } else if (raw && typeof raw === "object") {
    for (const [k, v] of Object.entries(raw)) permissions.push({ [k]: String(v) });
  }
  return { rolId, name: str(o["name"]), permissions };
}

/**
 * Read a list of roles (a bare array or `{ roles: [...] }`).
 *
 * @param body the parsed JSON body
 * @returns the roles
 * @throws {TypeError} when the body is not a list of roles
 */
export function readRoles(body: unknown): UiRole[] {
  const list = Array.isArray(body)
    ? body
    : (body && typeof body === "object" ? (body as Record<string, unknown>)["roles"] : undefined);
  if (!Array.isArray(list)) throw new TypeError("Not a list");
  return list.map(readRole);
}
