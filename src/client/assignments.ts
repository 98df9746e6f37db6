/**
 * The role assignments of a user: attach, remove, update
 * (`POST /rbac/assign/permission`), always with lists of role ids.
 *
 * @module
 */
import { callJson, requireOrgId } from "./_context.ts";
import type { ClientContext } from "./_context.ts";
import { AuthLiteInputError } from "../errors.ts";
import { optionalFlag, optionalText, requireText } from "./_input.ts";
import { readObject, readSignedOff } from "./schemas.ts";
import type { RoleAssignment, RoleAssignmentOptions } from "./types.ts";

/** What to assign, checked. */
export interface AssignmentSpec {
  /** The operation, for errors. */
  operation: string;
  uid: string;
  add: string[];
  remove: string[];
  options: RoleAssignmentOptions | undefined;
}

/**
 * Send a role assignment. Sign-off needs both tokens; that is checked before
 * any request.
 */
export async function assignRoles(
  ctx: ClientContext,
  spec: AssignmentSpec,
): Promise<RoleAssignment> {
  const orgId = requireOrgId(ctx, spec.operation);
  requireText(spec.uid, "uid");
  const options = spec.options ?? {};
  if (typeof options !== "object" || options === null) {
    throw new AuthLiteInputError("ERR_BAD_INPUT", "Invalid argument: options must be an object");
  }
  const signoff = optionalFlag(options.signoffSessionAndAssign, "signoffSessionAndAssign");
  const accessToken = optionalText(options.accessToken, "accessToken");
  const refreshToken = optionalText(options.refreshToken, "refreshToken");
  if (signoff && (accessToken === undefined || refreshToken === undefined)) {
    throw new AuthLiteInputError(
      "ERR_BAD_INPUT",
      "Missing argument: signoffSessionAndAssign needs accessToken and refreshToken",
    );
  }
  const path = "/rbac/assign/permission";
  const sensitive = [accessToken, refreshToken].filter((t): t is string => t !== undefined);
  const body = await callJson(ctx, {
    method: "POST",
    path,
    query: [["org_id", orgId]],
    body: {
      uid: spec.uid,
      rol_id: spec.add,
      inplace: spec.remove,
      signoff_session_and_assign: signoff,
      AccessToken: signoff ? accessToken : null,
      RefreshToken: signoff ? refreshToken : null,
    },
    sensitive,
  });
  if (signoff) return readSignedOff(body, path);
  return { signedOff: false, reply: readObject(body, path) };
}
