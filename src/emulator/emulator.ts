/**
 * {@linkcode createEmulator}: a local TrustAuthX (the API of docs/wire-protocol.md §5, its login
 * widget, its settings page) as a Hono app, with an optional control surface for tests.
 *
 * @module
 */

import { Hono } from "hono";
import { json, type Routes } from "./_http.ts";
import { registerApi } from "./api.ts";
import { registerControl } from "./control.ts";
import { registerPages } from "./pages.ts";
import {
  type EmulatorOrg,
  type EmulatorRole,
  type EmulatorUser,
  type Fault,
  State,
} from "./state.ts";

/** The organisation the emulator serves when none is configured. */
export const DEMO_ORG: EmulatorOrg = Object.freeze({
  orgId: "org_demo",
  apiKey: "key_demo",
  secretKey: "demo-secret-key-for-the-local-emulator-only",
  callbackUrl: "http://127.0.0.1:8787/auth/callback",
  name: "Demo organisation",
});

/** Options of {@linkcode createEmulator}. */
export interface EmulatorOptions {
  /** The organisations served (default `[DEMO_ORG]`). */
  orgs?: EmulatorOrg[];
  /** Enable the `/__emulator` control surface (test and dev mode; default `false`). */
  control?: boolean;
  /**
   * Hostnames the control surface answers besides loopback ones (`localhost`, `*.localhost`,
   * `127.0.0.0/8`, `::1`): e.g. the address it listens on. Default none.
   */
  controlHosts?: readonly string[];
  /** Access token lifetime (default 3600). */
  accessTokenTtlSeconds?: number;
  /** Refresh token lifetime (default 2592000). */
  refreshTokenTtlSeconds?: number;
  /** Login code lifetime (default 300). */
  codeTtlSeconds?: number;
  /** The clock in ms (default `Date.now`); the control clock offset is added to it. */
  now?: () => number;
}

/** Who a code or session is for: by `uid`, or by `email` (an unknown e-mail creates the user). */
export interface EmulatorWho {
  /** The organisation (default: the first). */
  orgId?: string;
  /** The user's e-mail. */
  email?: string;
  /** The user's id. */
  uid?: string;
}

/** A running emulator: its Hono app, and in-process equivalents of the control surface. */
export interface Emulator {
  /** The Hono app. */
  app: Hono;
  /** The app's fetch handler. */
  fetch(req: Request): Promise<Response>;
  /** Create a user, or update the one with this e-mail. */
  seedUser(
    u: {
      orgId?: string;
      email: string;
      name?: string;
      img?: string;
      roles?: string[];
      uid?: string;
    },
  ): EmulatorUser;
  /** Create a role (`rolId`: an explicit id, default a random one). */
  seedRole(
    r: { orgId?: string; name: string; permissions: Record<string, string>[]; rolId?: string },
  ): EmulatorRole;
  /** A single-use login code (a `UserToken`) for a user. */
  mintCode(u: EmulatorWho): string;
  /** A fresh access and refresh token for a user. */
  session(u: EmulatorWho): { accessToken: string; refreshToken: string; uid: string };
  /** Move the emulator's clock forward. */
  advanceClock(seconds: number): void;
  /** Queue a fault for the next matching API calls. */
  inject(fault: Fault): void;
  /** The API calls so far (not control calls, not pages), by path. */
  requests(): { total: number; byPath: Record<string, number> };
  /** Forget the request counts. */
  resetRequests(): void;
  /** Back to the initial state: no users, roles, tokens, faults or counts; clock offset zero. */
  reset(): void;
}

/**
 * Create an emulator of TrustAuthX.
 *
 * @param options organisations, TTLs, clock, control surface
 * @returns the emulator
 * @throws {EmulatorError} on an invalid configuration
 * @example
 * ```ts
 * import { createEmulator } from "@authlite/authlite/emulator";
 * const emu = createEmulator({ control: true });
 * const code = emu.mintCode({ email: "ada@example.com" });
 * const res = await emu.fetch(new Request(`http://emu/widget/login/?org_id=org_demo`));
 * console.assert(res.status === 200 && code.length > 0);
 * ```
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const state = new State(options.orgs ?? [DEMO_ORG], {
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 2_592_000,
    codeTtlSeconds: options.codeTtlSeconds ?? 300,
    now: options.now ?? Date.now,
  });
  const app = new Hono();
  const routes: Routes = new Map();

  app.use("*", async (c, next) => {
    const path = c.req.path;
    if (
      path.startsWith("/rbac/") ||
      (path.startsWith("/api/") && !path.startsWith("/api/user/me/settings"))
    ) {
      state.count(path);
    }
    await next();
  });
  registerApi(app, state, routes);
  registerPages(app, state, routes);
  if (options.control === true) registerControl(app, state, routes, options.controlHosts);

  app.notFound((c) => {
    const methods = routes.get(c.req.path);
    if (!methods) return json(404, { detail: "Not found" });
    const res = json(405, { detail: "Method not allowed" });
    res.headers.set("Allow", [...methods].join(", "));
    return res;
  });
  app.onError(() => json(500, { detail: "Internal error" }));

  const orgOf = (orgId: string | undefined) => state.org(orgId);
  return {
    app,
    fetch: async (req) => await app.fetch(req),
    seedUser: (u) => {
      const user = orgOf(u.orgId).upsertUser(u);
      return { ...user, roles: [...user.roles] };
    },
    seedRole: (r) => orgOf(r.orgId).addRole(r.name, r.permissions, r.rolId),
    mintCode: (u) => {
      const org = orgOf(u.orgId);
      return org.mintCode(org.resolveUser(u, true).uid);
    },
    session: (u) => {
      const org = orgOf(u.orgId);
      const s = org.issueSession(org.resolveUser(u, true).uid);
      return { accessToken: s.accessToken, refreshToken: s.refreshToken, uid: s.user.uid };
    },
    advanceClock: (seconds) => state.advanceClock(seconds),
    inject: (fault) => void state.inject(fault),
    requests: () => state.requests(),
    resetRequests: () => state.resetRequests(),
    reset: () => state.reset(),
  };
}
