/**
 * The session's user: the one declaration of it, and the one projection of
 * the client's users onto it.
 *
 * @module
 */

/**
 * The signed-in user of a session, as `getSession(c)`, `sessionFromRequest()`
 * and `GET /auth/me` answer it. (The client's own names for a user are
 * `User`, from a login, and `CurrentUser`, with the time its roles were read.)
 */
export interface Session {
  /** The user id. */
  uid: string;
  /** The e-mail address. */
  email: string;
  /** The display name, if known. */
  name: string | null;
  /** The picture URL, if known. */
  img: string | null;
  /**
   * The ids of the user's roles, read from upstream less than the role
   * cache's TTL ago (default 30 s) and after the last change of them made
   * through any instance sharing the client's store; during an upstream
   * outage, the last ones read, for at most `staleRolesMaxSeconds`.
   */
  roles: string[];
}

/**
 * The session's user of any of the client's users (`User`, `CurrentUser`):
 * the one projection.
 *
 * @param user a user of the client
 * @returns its fields of a session
 */
export function sessionOf(user: Session): Session {
  return { uid: user.uid, email: user.email, name: user.name, img: user.img, roles: user.roles };
}
