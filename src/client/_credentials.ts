/**
 * Tell a rejection of the organisation's own credentials from a rejection of
 * a user's token. The emulator names the credential in its error body
 * (`{"detail": "...", "credential": "api_key" | "signed_key" | "org_id"}`);
 * the hosted API is assumed to name it in `detail` (docs/wire-protocol.md
 * §14.17). A 401/403 that names none is a token's rejection, as before.
 *
 * @module
 */
import type { CredentialName } from "../errors.ts";

const FIELDS: Readonly<Record<string, CredentialName>> = {
  api_key: "apiKey",
  apikey: "apiKey",
  signed_key: "secretKey",
  secret_key: "secretKey",
  org_id: "orgId",
};

/**
 * Which credential a 401 or 403 reply rejects, or `null` when it rejects
 * something else (a token, a code).
 *
 * @param status the reply's status
 * @param text the reply's body
 * @returns the credential (`unknown` for a `credential` field we do not
 *   know), or `null`
 */
export function rejectedCredential(status: number, text: string): CredentialName | null {
  if (status !== 401 && status !== 403) return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== "object" || body === null) return null;
  const { credential, detail } = body as { credential?: unknown; detail?: unknown };
  if (typeof credential === "string") return FIELDS[credential.toLowerCase()] ?? "unknown";
  if (typeof detail !== "string") return null;
  // "signed_key does not match api_key" names both: the signature (the secret) is wrong.
  const d = detail.toLowerCase();
  if (/\b(signed_key|secret_key)\b/.test(d)) return "secretKey";
  if (/\borg_id\b/.test(d)) return "orgId";
  if (/\bapi_?key\b/.test(d)) return "apiKey";
  // Not the bare word "credentials": FastAPI apps answer an invalid bearer
  // token with "Could not validate credentials", which names no value of ours.
  return null;
}
