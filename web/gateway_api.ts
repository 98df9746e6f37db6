/**
 * The {@linkcode UiApi} of the page, spoken to the gateway through its typed caller
 * ({@linkcode createGatewayClient}, `hono/client` typed by the gateway app itself).
 *
 * @module
 */

import { createGatewayClient, type GatewayClientOptions } from "../src/rpc/mod.ts";
import { attempt, readMe, readRole, readRoles, readStatus, type UiApi } from "./api.ts";

const done = (): true => true;

/**
 * Build the page's view of the gateway at `baseUrl`. In a browser on the gateway's
 * origin the session cookies travel by themselves; the page never sees a token.
 *
 * @param baseUrl the gateway's origin and base path, e.g. `location.origin`
 * @param options passed to {@linkcode createGatewayClient} (tests give a `fetch`)
 * @returns the API the page uses
 */
export function gatewayApi(baseUrl: string, options: GatewayClientOptions = {}): UiApi {
  const base = baseUrl.replace(/\/+$/, "");
  const gw = createGatewayClient(base, options);
  const send = options.fetch ??
    ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const role = gw.admin.roles[":rolId"];
  return {
    me: () => attempt("check your session", () => gw.auth.me.$get(), readMe),
    logout: (all) => attempt("sign out", () => gw.auth.logout.$post({ json: { all } }), done),
    listRoles: () => attempt("manage roles", () => gw.admin.roles.$get(), readRoles),
    addRole: (name, permissions) =>
      attempt(
        "create the role",
        () => gw.admin.roles.$post({ json: { name, permissions } }),
        readRole,
      ),
    deleteRole: (rolId) =>
      attempt("delete the role", () => role.$delete({ param: { rolId } }), done),
    addPermissions: (rolId, permissions) =>
      attempt(
        "add the permission",
        () => role.permissions.$post({ param: { rolId }, json: { permissions } }),
        done,
      ),
    deletePermissions: (rolId, permissions) =>
      attempt(
        "remove the permission",
        () => role.permissions.$delete({ param: { rolId }, json: { permissions } }),
        done,
      ),
    assignRoles: (uid, add, remove) =>
      attempt(
        "change the user's roles",
        () => gw.admin.users[":uid"].roles.$post({ param: { uid }, json: { add, remove } }),
        done,
      ),
    // A route beside the typed ones (documented in the OpenAPI document).
    status: () =>
      attempt(
        "load the gateway status",
        () => send(`${base}/admin/status`, { credentials: "same-origin" }),
        readStatus,
      ),
  };
}
