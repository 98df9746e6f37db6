/**
 * Credential checks in constant time: the presented credential is compared
 * with every accepted one ({@linkcode timingSafeEqualText}), none skipped.
 *
 * @module
 */
import { timingSafeEqualText } from "../_compare.ts";

/** Checks a presented credential against a set of accepted ones. */
export class CredentialSet {
  #accepted: string[];

  /** @param accepted the accepted credentials (several during a rotation) */
  constructor(accepted: readonly string[]) {
    this.#accepted = [...accepted];
  }

  /** Whether no credential is configured (every check fails). */
  get empty(): boolean {
    return this.#accepted.length === 0;
  }

  /**
   * Whether `presented` is one of the accepted credentials.
   *
   * @param presented what the caller sent
   * @returns `true` when it matches one of them
   */
  matches(presented: string): boolean {
    // UTF-16 code units, compared as the bytes are below: no encoding per request.
    let found = false;
    for (const accepted of this.#accepted) {
      found = timingSafeEqualText(accepted, presented) || found;
    }
    return found;
  }
}
