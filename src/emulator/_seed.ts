// The standalone emulator's seed file (see docs/emulator.md, "The standalone command"): organisations with
// their roles and users, and the token lifetimes. Every mistake is reported with the path
// of the field (`orgs[0].users[1].email`), so a bad file costs one line to fix.

import { DEMO_ORG, type Emulator, type EmulatorOptions } from "./emulator.ts";
import { EmulatorError, type EmulatorOrg } from "./state.ts";

/** A role to seed. */
export interface SeedRole {
  /** The role id (default a random one). */
  rolId?: string;
  /** The role's name. */
  name: string;
  /** Its permissions, one `{key: value}` object each. */
  permissions: Record<string, string>[];
}

/** A user to seed. */
export interface SeedUser {
  /** The user id (default a random one). */
  uid?: string;
  /** The e-mail address. */
  email: string;
  /** The display name. */
  name?: string;
  /** The picture URL. */
  img?: string;
  /** The ids of the user's roles. */
  roles?: string[];
}

/** A parsed seed. */
export interface Seed {
  /** Options for `createEmulator`. */
  options: EmulatorOptions & { orgs: EmulatorOrg[] };
  /** The roles and users of each organisation, by org id. */
  data: Array<{ orgId: string; roles: SeedRole[]; users: SeedUser[] }>;
}

/** A mistake in a seed file, with the path of the field. */
export class SeedError extends Error {
  /**
   * @param path where in the file (`orgs[0].api_key`)
   * @param problem what is wrong with it
   */
  constructor(path: string, problem: string) {
    super(path === "" ? problem : `${path} ${problem}`);
    this.name = this.constructor.name;
  }
}

type Obj = Record<string, unknown>;

function object(v: unknown, path: string, keys: readonly string[]): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new SeedError(path, "must be an object");
  }
  for (const k of Object.keys(v)) {
    if (!keys.includes(k)) {
      throw new SeedError(
        `${path === "" ? "" : `${path}.`}${k}`,
        `is not a seed field (known: ${keys.join(", ")})`,
      );
    }
  }
  return v as Obj;
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new SeedError(path, "must be a list");
  return v;
}

function str(o: Obj, key: string, path: string, required: true): string;
function str(o: Obj, key: string, path: string, required: false): string | undefined;
function str(o: Obj, key: string, path: string, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string" || v.trim() === "") {
    throw new SeedError(`${path}.${key}`, "must be a non-empty string");
  }
  return v;
}

function seconds(o: Obj, key: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || (v as number) <= 0) {
    throw new SeedError(key, "must be a positive whole number of seconds");
  }
  return v as number;
}

const TOP = [
  "orgs",
  "access_token_ttl_seconds",
  "refresh_token_ttl_seconds",
  "code_ttl_seconds",
] as const;
const ORG = ["org_id", "api_key", "secret_key", "callback_url", "name", "roles", "users"] as const;
const ROLE = ["rol_id", "name", "permissions"] as const;
const USER = ["uid", "email", "name", "img", "roles"] as const;

function parseRole(v: unknown, path: string): SeedRole {
  const o = object(v, path, ROLE);
  const rolId = str(o, "rol_id", path, false);
  const perms = list(o.permissions, `${path}.permissions`).map((p, i) => {
    const at = `${path}.permissions[${i}]`;
    if (typeof p !== "object" || p === null || Array.isArray(p) || Object.keys(p).length === 0) {
      throw new SeedError(at, 'must be a {"key": "value"} object');
    }
    for (const [k, val] of Object.entries(p)) {
      if (typeof val !== "string") throw new SeedError(`${at}.${k}`, "must be a string");
    }
    return p as Record<string, string>;
  });
  return {
    ...(rolId === undefined ? {} : { rolId }),
    name: str(o, "name", path, true),
    permissions: perms,
  };
}

function parseUser(v: unknown, path: string): SeedUser {
  const o = object(v, path, USER);
  const email = str(o, "email", path, true);
  if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) {
    throw new SeedError(`${path}.email`, "must be an e-mail address");
  }
  const roles = list(o.roles, `${path}.roles`).map((r, i) => {
    if (typeof r !== "string" || r === "") {
      throw new SeedError(`${path}.roles[${i}]`, "must be a role id");
    }
    return r;
  });
  const user: SeedUser = { email, roles };
  const uid = str(o, "uid", path, false);
  const name = str(o, "name", path, false);
  if (uid !== undefined) user.uid = uid;
  if (name !== undefined) user.name = name;
  if (o.img !== undefined) {
    if (typeof o.img !== "string") throw new SeedError(`${path}.img`, "must be a string");
    user.img = o.img;
  }
  return user;
}

/**
 * Check a seed file's JSON value.
 *
 * @param value the parsed JSON
 * @returns the emulator options and the data to seed
 * @throws {SeedError} naming the first field that is wrong
 */
export function parseSeed(value: unknown): Seed {
  const top = object(value, "", TOP);
  const orgList = list(top.orgs, "orgs");
  if (orgList.length === 0) throw new SeedError("orgs", "must list at least one organisation");
  const orgs: EmulatorOrg[] = [];
  const data: Seed["data"] = [];
  orgList.forEach((v, i) => {
    const path = `orgs[${i}]`;
    const o = object(v, path, ORG);
    const org: EmulatorOrg = {
      orgId: str(o, "org_id", path, true),
      apiKey: str(o, "api_key", path, true),
      secretKey: str(o, "secret_key", path, true),
      callbackUrl: str(o, "callback_url", path, true),
    };
    const name = str(o, "name", path, false);
    if (name !== undefined) org.name = name;
    const cb = URL.canParse(org.callbackUrl) ? new URL(org.callbackUrl) : undefined;
    if (cb === undefined || (cb.protocol !== "http:" && cb.protocol !== "https:")) {
      throw new SeedError(`${path}.callback_url`, "must be an http(s) URL");
    }
    for (const prev of orgs) {
      if (prev.orgId === org.orgId) throw new SeedError(`${path}.org_id`, "is used twice");
      if (prev.apiKey === org.apiKey) throw new SeedError(`${path}.api_key`, "is used twice");
    }
    orgs.push(org);
    data.push({
      orgId: org.orgId,
      roles: list(o.roles, `${path}.roles`).map((r, j) => parseRole(r, `${path}.roles[${j}]`)),
      users: list(o.users, `${path}.users`).map((u, j) => parseUser(u, `${path}.users[${j}]`)),
    });
  });
  const options: Seed["options"] = { orgs };
  const access = seconds(top, "access_token_ttl_seconds");
  const refresh = seconds(top, "refresh_token_ttl_seconds");
  const code = seconds(top, "code_ttl_seconds");
  if (access !== undefined) options.accessTokenTtlSeconds = access;
  if (refresh !== undefined) options.refreshTokenTtlSeconds = refresh;
  if (code !== undefined) options.codeTtlSeconds = code;
  return { options, data };
}

/**
 * Seed an emulator created with `seed.options`: roles first, then users.
 *
 * @param emu the emulator
 * @param seed the parsed seed
 * @throws {SeedError} when the emulator refuses an entry (an unknown role id, a taken id)
 */
export function applySeed(emu: Emulator, seed: Seed): void {
  seed.data.forEach(({ orgId, roles, users }, i) => {
    roles.forEach((r, j) => {
      try {
        emu.seedRole({ orgId, ...r });
      } catch (err) {
        if (!(err instanceof EmulatorError)) throw err;
        throw new SeedError(`orgs[${i}].roles[${j}]:`, err.message);
      }
    });
    users.forEach((u, j) => {
      try {
        emu.seedUser({ orgId, ...u });
      } catch (err) {
        if (!(err instanceof EmulatorError)) throw err;
        throw new SeedError(`orgs[${i}].users[${j}]:`, err.message);
      }
    });
  });
}

/** The demo seed: the demo organisation, an `admins` role and two users. */
export function demoSeed(): Seed {
  return {
    options: { orgs: [{ ...DEMO_ORG }] },
    data: [{
      orgId: DEMO_ORG.orgId,
      roles: [{ rolId: "rol_admins", name: "admins", permissions: [{ admin: "true" }] }],
      users: [
        { uid: "uid_admin", email: "admin@example.com", name: "Demo Admin", roles: ["rol_admins"] },
        { uid: "uid_user", email: "user@example.com", name: "Demo User" },
      ],
    }],
  };
}
