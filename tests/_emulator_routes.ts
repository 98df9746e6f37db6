/**
 * Test helper: the emulator's upstream API, method and path, as the
 * robustness and fuzz tests throw input at it.
 *
 * @module
 */

/** Every route of the emulated TrustAuthX API (docs/wire-protocol.md §5). */
export const EMULATOR_API_ROUTES: ReadonlyArray<readonly [string, string]> = [
  ["GET", "/api/user/me/widget/re-auth/token"],
  ["GET", "/api/user/me/auth/data"],
  ["GET", "/api/user/me/data"],
  ["GET", "/api/user/me/access/token/"],
  ["GET", "/api/user/me/auth/validate/token"],
  ["DELETE", "/api/user/me/token/"],
  ["GET", "/rbac/role"],
  ["POST", "/rbac/role"],
  ["DELETE", "/rbac/role"],
  ["POST", "/rbac/permission"],
  ["DELETE", "/rbac/permission"],
  ["POST", "/rbac/assign/permission"],
];
