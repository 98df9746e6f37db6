/**
 * One organisation's users and roles (the emulator's directory): every
 * mutating method validates all of its input before it changes anything.
 *
 * @module
 */
import { randomId } from "./jwt.ts";
import {
  checkEmail,
  checkText,
  EmulatorError,
  type EmulatorRole,
  type EmulatorUser,
  parsePermissions,
  type UserFields,
} from "./_model.ts";

/** The users and roles of one organisation. */
export class Directory {
  #orgId: string;
  #users = new Map<string, EmulatorUser>();
  #roles = new Map<string, { name: string; permissions: Map<string, string> }>();

  /** @param orgId the organisation's id (roles carry it) */
  constructor(orgId: string) {
    this.#orgId = orgId;
  }

  /** Forget every user and role. */
  clear(): void {
    this.#users.clear();
    this.#roles.clear();
  }

  /**
   * @param uid a user id
   * @returns the user, if any
   */
  findUser(uid: string): EmulatorUser | undefined {
    return this.#users.get(uid);
  }

  /** @returns the number of roles (the `X-EDGE` header) */
  roleCount(): number {
    return this.#roles.size;
  }

  // --- users

  /**
   * Create a user, or update the one with this e-mail (or uid).
   *
   * @param u the user's fields
   * @returns the user
   * @throws {EmulatorError} on invalid input or an unknown role
   */
  upsertUser(u: UserFields): EmulatorUser {
    const email = checkEmail(u.email);
    if (u.name !== undefined) checkText(u.name, "name");
    if (u.img !== undefined) checkText(u.img, "img");
    if (u.uid !== undefined) checkText(u.uid, "uid", true);
    if (u.roles !== undefined) this.#checkRoleIds(u.roles);
    const existing = this.findByEmail(email);
    const other = u.uid !== undefined ? this.#users.get(u.uid) : undefined;
    if (other && other !== existing) {
      throw new EmulatorError(409, `User id already taken: ${u.uid}`);
    }
    if (existing && u.uid !== undefined && existing.uid !== u.uid) {
      throw new EmulatorError(409, `E-mail already used by another user: ${email}`);
    }
    const user = existing ?? {
      uid: u.uid ?? `uid_${randomId(12)}`,
      email,
      name: email.split("@")[0] ?? email,
      img: "",
      roles: [],
    };
    if (u.name !== undefined) user.name = u.name;
    if (u.img !== undefined) user.img = u.img;
    if (u.roles !== undefined) user.roles = [...new Set(u.roles)];
    this.#users.set(user.uid, user);
    return user;
  }

  /**
   * @param email an e-mail address
   * @returns the user with it, if any
   */
  findByEmail(email: string): EmulatorUser | undefined {
    const e = email.toLowerCase();
    for (const u of this.#users.values()) if (u.email.toLowerCase() === e) return u;
    return undefined;
  }

  /**
   * @param uid a user id
   * @returns the user
   * @throws {EmulatorError} 404 when there is none
   */
  user(uid: string): EmulatorUser {
    const user = this.#users.get(uid);
    if (!user) throw new EmulatorError(404, `Unknown user: ${uid}`);
    return user;
  }

  /**
   * Find a user by uid or e-mail; with `create`, an unknown e-mail signs up a new user.
   *
   * @param who uid or e-mail
   * @param create whether an unknown e-mail creates the user
   * @returns the user
   * @throws {EmulatorError} when neither is given or the user is unknown
   */
  resolveUser(
    who: { email?: string | undefined; uid?: string | undefined },
    create: boolean,
  ): EmulatorUser {
    if (who.uid !== undefined) return this.user(who.uid);
    if (who.email === undefined) throw new EmulatorError(400, "Missing field: email or uid");
    const found = this.findByEmail(checkEmail(who.email));
    if (found) return found;
    if (!create) throw new EmulatorError(404, "Unknown user");
    return this.upsertUser({ email: who.email });
  }

  // --- roles

  /** @returns every role, in creation order */
  listRoles(): EmulatorRole[] {
    return [...this.#roles.keys()].map((id) => this.role(id));
  }

  /**
   * @param rolId a role id
   * @returns the role
   * @throws {EmulatorError} 404 when unknown
   */
  role(rolId: string): EmulatorRole {
    const r = this.#roles.get(rolId);
    if (!r) throw new EmulatorError(404, `Unknown role: ${rolId}`);
    return {
      org_id: this.#orgId,
      rol_id: rolId,
      name: r.name,
      permissions: [...r.permissions].map(([k, v]) => ({ [k]: v })),
    };
  }

  /**
   * @param name the role's name
   * @param permissions its permissions
   * @param rolId an explicit id (default: a random one)
   * @returns the new role
   * @throws {EmulatorError} on invalid input or a taken id
   */
  addRole(name: unknown, permissions: unknown, rolId?: string): EmulatorRole {
    const n = checkText(name, "name", true);
    const perms = parsePermissions(permissions);
    if (rolId !== undefined) checkText(rolId, "rol_id", true);
    const id = rolId ?? `rol_${randomId(9)}`;
    if (this.#roles.has(id)) throw new EmulatorError(409, `Role id already taken: ${id}`);
    this.#roles.set(id, { name: n, permissions: new Map(perms) });
    return this.role(id);
  }

  /**
   * Delete a role and take it away from every user.
   *
   * @param rolId the role id
   * @returns the deleted role
   * @throws {EmulatorError} 404 when unknown
   */
  deleteRole(rolId: string): EmulatorRole {
    const role = this.role(rolId);
    this.#roles.delete(rolId);
    for (const u of this.#users.values()) u.roles = u.roles.filter((r) => r !== rolId);
    return role;
  }

  /**
   * @param rolId the role id
   * @param permissions the permissions to add (a key already there takes the new value)
   * @returns the added permissions
   * @throws {EmulatorError} on invalid input or an unknown role
   */
  addPermissions(rolId: string, permissions: unknown): Record<string, string>[] {
    const perms = parsePermissions(permissions);
    const role = this.#roles.get(rolId);
    if (!role) throw new EmulatorError(404, `Unknown role: ${rolId}`);
    for (const [k, v] of perms) role.permissions.set(k, v);
    return perms.map(([k, v]) => ({ [k]: v }));
  }

  /**
   * @param rolId the role id
   * @param permissions the permissions to remove (by key and value; absent ones are ignored)
   * @returns what remains
   * @throws {EmulatorError} on invalid input or an unknown role
   */
  deletePermissions(rolId: string, permissions: unknown): Record<string, string>[] {
    const perms = parsePermissions(permissions);
    const role = this.#roles.get(rolId);
    if (!role) throw new EmulatorError(404, `Unknown role: ${rolId}`);
    for (const [k, v] of perms) if (role.permissions.get(k) === v) role.permissions.delete(k);
    return this.role(rolId).permissions;
  }

  /**
   * Change a user's roles: add `add`, then remove `remove`.
   *
   * @param uid the user id
   * @param add role ids to add
   * @param remove role ids to remove
   * @returns the user
   * @throws {EmulatorError} on an unknown user or role
   */
  assignRoles(uid: string, add: string[], remove: string[]): EmulatorUser {
    const user = this.user(uid);
    this.#checkRoleIds([...add, ...remove]);
    const roles = new Set([...user.roles, ...add]);
    for (const r of remove) roles.delete(r);
    user.roles = [...roles];
    return user;
  }

  #checkRoleIds(ids: unknown): void {
    if (!Array.isArray(ids) || ids.some((r) => typeof r !== "string")) {
      throw new EmulatorError(400, "Invalid roles: a list of role ids is expected");
    }
    for (const r of ids as string[]) {
      if (!this.#roles.has(r)) throw new EmulatorError(404, `Unknown role: ${r}`);
    }
  }
}
