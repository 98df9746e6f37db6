/**
 * The emulated TrustAuthX API (docs/wire-protocol.md §5): users, tokens and roles, with
 * credentials checked on every call, `X-EDGE` on every authenticated reply and the
 * fault queue applied before each call.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import {
  allow,
  authenticate,
  checkBodyOrg,
  errorReply,
  field,
  json,
  jsonBody,
  query,
  queryBool,
  type Routes,
} from "./_http.ts";
import { randomId, signJwt } from "./jwt.ts";
import {
  EmulatorError,
  type Fault,
  type IssuedSession,
  type OrgState,
  type State,
} from "./state.ts";

/** The `iss` claim of the emulator's signed replies. */
export const ISSUER = "authlite-emulator";

interface Call {
  c: Context;
  org: OrgState;
  /** Sign claims as the organisation would (or as the injected fault says). */
  sign(claims: Record<string, unknown>): string;
}

type Handler = (call: Call) => unknown | Promise<unknown>;

interface RouteOptions {
  /** The reply is a signed JWS (signature faults apply). */
  signed?: boolean;
  /** An `/rbac` route: `org_id` must match the API key's organisation. */
  rbac?: boolean;
  /** Send `X-EDGE` on the reply (default `true`). */
  edge?: boolean;
}

/**
 * Register the API routes.
 *
 * @param app the Hono app
 * @param state the emulator state
 * @param routes the route table (for 405)
 */
export function registerApi(app: Hono, state: State, routes: Routes): void {
  const route = (method: string, path: string, opts: RouteOptions, handler: Handler): void => {
    allow(routes, method, path);
    app.on(method, path, async (c) => {
      const fault = state.takeFault(path, opts.signed === true);
      if (fault) {
        const early = await applyFault(fault);
        if (early) return early;
      }
      let org: OrgState | undefined;
      try {
        org = authenticate(c, state, opts.rbac === true);
        const secret = org.org.secretKey;
        const sign = (claims: Record<string, unknown>): string => {
          if (fault?.kind === "alg-none") return signJwt(claims, "", "none");
          if (fault?.kind === "bad-signature") {
            return signJwt(claims, `not-the-secret-${randomId()}`);
          }
          return signJwt(claims, secret);
        };
        const value = await handler({ c, org, sign });
        return json(200, value, opts.edge === false ? undefined : org);
      } catch (err) {
        return errorReply(err, org);
      }
    });
  };

  const sessionClaims = (call: Call, s: IssuedSession): string =>
    call.sign({
      iss: ISSUER,
      jti: randomId(16),
      type: "user",
      iat: s.iat,
      exp: s.accessExp,
      access_token: s.accessToken,
      refresh_token: s.refreshToken,
      refresh_exp: s.refreshExp,
      scope: JSON.stringify(s.user.roles),
      img: s.user.img,
      name: s.user.name,
      uid: s.user.uid,
      email: s.user.email,
      sub: JSON.stringify({
        email: s.user.email,
        uid: s.user.uid,
        name: s.user.name,
        img: s.user.img,
      }),
    });

  route("GET", "/api/user/me/widget/re-auth/token", { signed: true }, (call) => {
    const user = call.org.consumeCode(query(call.c, "code"));
    return sessionClaims(call, call.org.issueSession(user.uid));
  });

  route("GET", "/api/user/me/auth/data", { signed: true }, (call) => {
    const user = call.org.consumeCode(query(call.c, "UserToken"));
    return sessionClaims(call, call.org.issueSession(user.uid));
  });

  route("GET", "/api/user/me/data", { signed: true }, (call) => {
    const { user } = call.org.checkToken(query(call.c, "AccessToken"), "access");
    const iat = state.nowSeconds();
    return call.sign({
      iss: ISSUER,
      jti: randomId(16),
      iat,
      exp: iat + 300,
      uid: user.uid,
      email: user.email,
      name: user.name,
      img: user.img,
      scope: JSON.stringify(user.roles),
      sub: JSON.stringify({ email: user.email, uid: user.uid, name: user.name, img: user.img }),
    });
  });

  route("GET", "/api/user/me/access/token/", {}, ({ c, org }) => {
    const { user, jti } = org.checkToken(query(c, "RefreshToken"), "refresh");
    org.revoke(jti);
    const s = org.issueSession(user.uid);
    return { access_token: s.accessToken, refresh_token: s.refreshToken };
  });

  route("GET", "/api/user/me/auth/validate/token", {}, ({ c, org }) => {
    org.checkToken(query(c, "AccessToken"), "access");
    return { valid: true };
  });

  route("DELETE", "/api/user/me/token/", {}, ({ c, org }) => {
    const token = query(c, "Token");
    const isAccess = c.req.query("AccessToken") === undefined
      ? undefined
      : queryBool(c, "AccessToken");
    const specificOnly = queryBool(c, "SpecificTokenOnly", true);
    const { user, jti, claims } = org.checkToken(token, undefined, true);
    if (isAccess !== undefined && isAccess !== (claims.type === "access")) {
      throw new EmulatorError(
        400,
        "Invalid query parameter: AccessToken does not match the token's type",
      );
    }
    if (specificOnly) org.revoke(jti);
    else org.revokeAll(user.uid);
    return true;
  });

  // No `X-EDGE` on the role list itself: the official Python connector reloads its role
  // cache on an `X-EDGE` that differs from its stored count and stores the new count only
  // after the reload returns, so an `X-EDGE` on the reload's own reply recurses until
  // RecursionError. The list is the count anyway.
  route("GET", "/rbac/role", { rbac: true, edge: false }, ({ org }) => org.listRoles());

  route("POST", "/rbac/role", { rbac: true }, async ({ c, org }) => {
    const body = await jsonBody(c);
    checkBodyOrg(body, org);
    return org.addRole(body.name, body.permissions);
  });

  route("DELETE", "/rbac/role", { rbac: true }, async ({ c, org }) => {
    const body = await jsonBody(c);
    checkBodyOrg(body, org);
    return org.deleteRole(field(body, "rol_id"));
  });

  route("POST", "/rbac/permission", { rbac: true }, async ({ c, org }) => {
    const body = await jsonBody(c);
    checkBodyOrg(body, org);
    const rolId = field(body, "rol_id");
    const permissions = org.addPermissions(rolId, body.permissions);
    return { org_id: org.org.orgId, rol_id: rolId, permissions };
  });

  route("DELETE", "/rbac/permission", { rbac: true }, async ({ c, org }) => {
    const body = await jsonBody(c);
    checkBodyOrg(body, org);
    const rolId = field(body, "rol_id");
    const permissions = org.deletePermissions(rolId, body.permissions);
    return { org_id: org.org.orgId, rol_id: rolId, permissions };
  });

  route("POST", "/rbac/assign/permission", { rbac: true }, async ({ c, org }) => {
    const body = await jsonBody(c);
    checkBodyOrg(body, org);
    const uid = field(body, "uid");
    const add = roleIds(body.rol_id, "rol_id");
    const remove = roleIds(body.inplace, "inplace");
    const signoff = body.signoff_session_and_assign ?? false;
    if (typeof signoff !== "boolean") {
      throw new EmulatorError(400, "Invalid field: signoff_session_and_assign must be a boolean");
    }
    org.user(uid);
    if (!signoff) {
      const user = org.assignRoles(uid, add, remove);
      return { uid, role: [...user.roles] };
    }
    const access = body.AccessToken;
    const refresh = body.RefreshToken;
    if (
      typeof access !== "string" || access === "" || typeof refresh !== "string" || refresh === ""
    ) {
      throw new EmulatorError(
        400,
        "Missing field: AccessToken and RefreshToken are required with sign-off",
      );
    }
    const a = org.checkToken(access, "access");
    const r = org.checkToken(refresh, "refresh");
    if (a.user.uid !== uid || r.user.uid !== uid) {
      throw new EmulatorError(403, "Forbidden: the tokens do not belong to this user");
    }
    const user = org.assignRoles(uid, add, remove);
    org.revokeAll(uid);
    const s = org.issueSession(uid);
    return {
      uid,
      access_token: s.accessToken,
      refresh_token: s.refreshToken,
      role: [...user.roles],
    };
  });
}

/** `rol_id` / `inplace`: a list of ids, or a bare id (what the Python connector sends). */
function roleIds(v: unknown, name: string): string[] {
  if (v === undefined || v === null || v === "") return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string" && x !== "")) return v as string[];
  throw new EmulatorError(400, `Invalid field: ${name} must be a role id or a list of role ids`);
}

/** Apply a fault; a reply here replaces the normal one. */
async function applyFault(f: Fault): Promise<Response | undefined> {
  switch (f.kind) {
    case "latency":
      await new Promise((resolve) => setTimeout(resolve, f.latency_ms ?? 0));
      return undefined;
    case "status": {
      const status = f.status ?? 503;
      const headers = new Headers({ "content-type": "application/json" });
      if (f.retry_after !== undefined) headers.set("Retry-After", String(f.retry_after));
      const body = f.body ?? JSON.stringify({ detail: `Injected fault: status ${status}` });
      if (f.body !== undefined && !isJson(f.body)) headers.set("content-type", "text/plain");
      const nullBody = status === 204 || status === 205 || status === 304;
      return new Response(nullBody ? null : body, { status, headers });
    }
    case "malformed":
      return new Response(f.body ?? '{"access_token": "eyJ', {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    case "wrong-shape":
      return new Response(f.body ?? JSON.stringify({ unexpected: true }), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    case "reset": {
      // Headers and half a body, then the stream fails: the server drops the connection.
      // The pause lets the first bytes out (else a client may retry on a fresh connection);
      // failing with `undefined` rather than an Error keeps Deno and Bun from logging a stack.
      let sent = false;
      return new Response(
        new ReadableStream({
          async pull(ctrl) {
            if (!sent) {
              sent = true;
              ctrl.enqueue(new TextEncoder().encode('{"detail": '));
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
            throw undefined;
          },
        }),
        { status: 200, headers: { "content-type": "application/json" } },
      );
    }
    default:
      return undefined;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
