/**
 * The control surface under `/__emulator` (see docs/emulator.md): seed users, roles, codes
 * and sessions, move the clock, queue faults, read the request counts. Registered
 * only when the emulator is created with `control: true`.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import { allow, errorReply, field, json, jsonBody, optField, type Routes } from "./_http.ts";
import type { Fault, State } from "./state.ts";

/**
 * Register the control routes.
 *
 * @param app the Hono app
 * @param state the emulator state
 * @param routes the route table (for 405)
 */
export function registerControl(app: Hono, state: State, routes: Routes): void {
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

  route("GET", "/requests", () => {
    const { total, byPath } = state.requests();
    return { total, by_path: byPath };
  });

  route("DELETE", "/requests", () => {
    state.resetRequests();
    return { ok: true };
  });
}
