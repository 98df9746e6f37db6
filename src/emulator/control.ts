/**
 * The control surface under `/__emulator` (see docs/emulator.md): seed users, roles, codes
 * and sessions, move the clock, queue faults, read the request counts. Registered
 * only when the emulator is created with `control: true`.
 *
 * It is a test tool on a loopback port, and any web page can send requests there: a
 * "simple" request (a `text/plain` or form POST) needs no preflight, and a page on a DNS
 * name rebound to 127.0.0.1 is even same-origin with it. So every control request must
 * name a loopback host (or one of `controlHosts`) in `Host`, carry no foreign `Origin`
 * (nor `Sec-Fetch-Site: cross-site`/`same-site`), and anything but a GET must be
 * `application/json`: 403 or 415 otherwise, before any state is read or changed.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import { allow, errorReply, field, json, jsonBody, optField, type Routes } from "./_http.ts";
import { EmulatorError, type Fault, type State } from "./state.ts";

/** A hostname (no port, no brackets) that names this machine's loopback interface. */
function isLoopback(hostname: string): boolean {
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  if (hostname === "::1" || hostname === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  return v4 !== null && v4.slice(1).every((n) => Number(n) <= 255) && v4[1] === "127";
}

/** The hostname of a `Host` value (`name`, `name:port`, `[v6]:port`), lowercase, no brackets. */
function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Refuse a control request a web page could have sent: a foreign `Host` (DNS rebinding),
 * a foreign `Origin` or Fetch Metadata, a body that is not JSON (a simple request).
 */
function checkCaller(c: Context, hosts: ReadonlySet<string>): void {
  // A browser always sends Host; a Request made in process has none: its URL then.
  const host = c.req.header("host") ?? new URL(c.req.url).host;
  const name = hostnameOf(host);
  if (name === undefined || (!isLoopback(name) && !hosts.has(name))) {
    throw new EmulatorError(
      403,
      "Forbidden: the control surface answers loopback hosts only (Host)",
    );
  }
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    let same = false;
    try {
      const o = new URL(origin);
      same = o.protocol === "http:" && o.host === new URL(`http://${host}`).host;
    } catch {
      same = false; // "null", or not a URL
    }
    if (!same) throw new EmulatorError(403, "Forbidden: a cross-origin request (Origin)");
  }
  const site = c.req.header("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") {
    throw new EmulatorError(403, "Forbidden: a cross-origin request (Sec-Fetch-Site)");
  }
  const method = c.req.method;
  if (method !== "GET" && method !== "HEAD") {
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      throw new EmulatorError(415, "Invalid body: Content-Type must be application/json");
    }
  }
}

/**
 * Register the control routes.
 *
 * @param app the Hono app
 * @param state the emulator state
 * @param routes the route table (for 405)
 * @param controlHosts hostnames answered besides loopback ones (e.g. the one it listens on)
 */
export function registerControl(
  app: Hono,
  state: State,
  routes: Routes,
  controlHosts: readonly string[] = [],
): void {
  const hosts = new Set(
    controlHosts
      .map((h) => hostnameOf(h.includes(":") && !h.startsWith("[") ? `[${h}]` : h))
      .filter((h): h is string => h !== undefined),
  );
  app.use("/__emulator/*", async (c, next) => {
    try {
      checkCaller(c, hosts);
    } catch (err) {
      return errorReply(err);
    }
    await next();
  });
  const route = (
    method: string,
    path: string,
    handler: (body: Record<string, unknown>, c: Context) => unknown,
  ): void => {
    const full = `/__emulator${path}`;
    allow(routes, method, full);
    app.on(method, full, async (c) => {
      try {
        const body = method === "POST" ? await jsonBody(c, true) : {};
        return json(200, await handler(body, c));
      } catch (err) {
        return errorReply(err);
      }
    });
  };
  const org = (body: Record<string, unknown>) => state.org(optField(body, "org_id"));
  const who = (body: Record<string, unknown>) => ({
    email: optField(body, "email"),
    uid: optField(body, "uid"),
  });

  route("POST", "/reset", () => {
    state.reset();
    return { ok: true };
  });

  route("POST", "/users", (body) => {
    const u = org(body).upsertUser({
      email: field(body, "email"),
      name: optField(body, "name"),
      img: optField(body, "img"),
      uid: optField(body, "uid"),
      roles: body.roles as string[] | undefined,
    });
    return { ...u, roles: [...u.roles] };
  });

  route("POST", "/login-code", (body) => {
    const o = org(body);
    return { code: o.mintCode(o.resolveUser(who(body), true).uid) };
  });

  route("POST", "/session", (body) => {
    const o = org(body);
    const s = o.issueSession(o.resolveUser(who(body), true).uid);
    return { uid: s.user.uid, access_token: s.accessToken, refresh_token: s.refreshToken };
  });

  route("POST", "/roles", (body) => {
    return org(body).addRole(body.name, body.permissions, optField(body, "rol_id"));
  });

  route("POST", "/clock", (body) => {
    state.advanceClock(body.advance_seconds as number);
    return { now: state.now() };
  });

  route("POST", "/faults", (body) => ({ queued: state.inject(body as unknown as Fault) }));

  route("DELETE", "/faults", () => ({ ok: true, cleared: state.clearFaults() }));

  route("GET", "/refreshes", () => state.refreshes());

  route("GET", "/requests", () => {
    const { total, byPath } = state.requests();
    return { total, by_path: byPath };
  });

  route("DELETE", "/requests", () => {
    state.resetRequests();
    return { ok: true };
  });
}
