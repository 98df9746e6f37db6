/**
 * The emulator's data model: what it stores and answers (organisations,
 * users, roles, sessions), its one error, and the checks of its input.
 *
 * @module
 */

/** An organisation the emulator serves. */
export interface EmulatorOrg {
  /** The organisation id (`org_id`). */
  orgId: string;
  /** The API key (`api_key`). */
  apiKey: string;
  /** The secret key: signs the signed key, the tokens and the signed replies. */
  secretKey: string;
  /** Where the login widget sends the browser back, with `?code=`. */
  callbackUrl: string;
  /** A display name for the widget. */
  name?: string;
}

/** A user as the emulator stores it. */
export interface EmulatorUser {
  /** The user id. */
  uid: string;
  /** The e-mail address (unique in an organisation). */
  email: string;
  /** The display name. */
  name: string;
  /** The picture URL (may be empty). */
  img: string;
  /** The ids of the user's roles. */
  roles: string[];
}

/** The fields of a user to create or update (`roles` is checked at run time). */
export interface UserFields {
  /** The e-mail address. */
  email: string;
  /** The display name. */
  name?: string | undefined;
  /** The picture URL. */
  img?: string | undefined;
  /** The ids of the user's roles (replacing any). */
  roles?: string[] | undefined;
  /** An explicit user id, for a new user. */
  uid?: string | undefined;
}

/** A role as the wire shows it. */
export interface EmulatorRole {
  /** The organisation id. */
  org_id: string;
  /** The role id. */
  rol_id: string;
  /** The role's name. */
  name: string;
  /** The permissions, one single-key object each. */
  permissions: Record<string, string>[];
}

/** An error the emulator answers as `{detail}` with `status`. */
export class EmulatorError extends Error {
  /** The HTTP status the emulator answers for it. */
  readonly status: number;

  /**
   * Create an error the emulator answers with `status`.
   *
   * @param status the HTTP status
   * @param detail the message, also the `detail` of the JSON reply
   */
  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
    this.name = this.constructor.name;
  }
}

/** A session just issued. */
export interface IssuedSession {
  /** The user. */
  user: EmulatorUser;
  /** The access token. */
  accessToken: string;
  /** The refresh token. */
  refreshToken: string;
  /** When the access token expires, in seconds since the epoch. */
  accessExp: number;
  /** When the refresh token expires, in seconds since the epoch. */
  refreshExp: number;
  /** When both were issued, in seconds since the epoch. */
  iat: number;
}

/** A token that passed every check. */
export interface CheckedToken {
  /** The user it belongs to. */
  user: EmulatorUser;
  /** Its id. */
  jti: string;
  /** Its claims. */
  claims: Record<string, unknown>;
}

/** TTLs and clock of a {@linkcode State}. */
export interface StateOptions {
  /** Access token lifetime, seconds. */
  accessTokenTtlSeconds: number;
  /** Refresh token lifetime, seconds. */
  refreshTokenTtlSeconds: number;
  /** Login code lifetime, seconds. */
  codeTtlSeconds: number;
  /** The base clock, ms. */
  now: () => number;
}

/**
 * @param v a value
 * @param field its name, for the message
 * @param nonEmpty whether it must not be empty
 * @returns the value as a string
 * @throws {EmulatorError} 400 when it is not a string of at most 2048 characters
 */
export function checkText(v: unknown, field: string, nonEmpty = false): string {
  if (typeof v !== "string" || v.length > 2048 || (nonEmpty && v.trim() === "")) {
    throw new EmulatorError(400, `Invalid field: ${field}`);
  }
  return v;
}

export function checkEmail(v: unknown): string {
  const e = checkText(v, "email", true).trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(e) || e.length > 320) {
    throw new EmulatorError(400, "Invalid field: email");
  }
  return e;
}

export function parsePermissions(v: unknown): Array<[string, string]> {
  if (!Array.isArray(v)) {
    throw new EmulatorError(
      400,
      "Invalid field: permissions must be a list of {key: value} objects",
    );
  }
  const out: Array<[string, string]> = [];
  for (const p of v) {
    if (typeof p !== "object" || p === null || Array.isArray(p) || Object.keys(p).length === 0) {
      throw new EmulatorError(
        400,
        "Invalid field: permissions must be a list of {key: value} objects",
      );
    }
    for (const [k, val] of Object.entries(p)) {
      if (k === "" || typeof val !== "string") {
        throw new EmulatorError(400, "Invalid field: permission values must be strings");
      }
      out.push([k, val]);
    }
  }
  return out;
}
