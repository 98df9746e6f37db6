// examples/tour.ts (run from the repository: npx deno run -A examples/tour.ts)
import { AuthLiteClient, AuthLiteError } from "@authlite/authlite";
import { createEmulator, DEMO_ORG } from "@authlite/authlite/emulator";

// A local TrustAuthX with the demo organisation.
const emu = createEmulator();
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, emu.fetch);
const upstream = `http://127.0.0.1:${server.addr.port}`;

const client = new AuthLiteClient({
  apiKey: DEMO_ORG.apiKey,
  secretKey: DEMO_ORG.secretKey,
  orgId: DEMO_ORG.orgId,
  baseUrl: upstream,
  widgetUrl: upstream,
});

// Roles and permissions of the organisation.
const editor = await client.roles.addRole("editor", { doc: "write" });
await client.roles.addPermission(editor.rolId, { img: "read" });
await client.roles.deletePermission(editor.rolId, { img: "read" });
const viewer = await client.roles.addRole("viewer", [{ doc: "read" }, { img: "read" }]);
console.log(await client.roles.getAllRoles()); // [{ orgId, rolId, name, permissions }, …]

// The local role cache: loaded once, merged permissions, no request per check.
console.log(await client.roles.count()); // 2
console.log(await client.roles.validate(viewer.rolId, "img", "read")); // true
console.log(await client.roles.query({ permissionKey: "doc" }));
// [{ roleId, name: "editor", permissions: { doc: "write" } }, { …viewer, { doc: "read" } }]

// 1. Login: send the browser to the widget…
console.log(client.generateUrl()); // …/widget/login/?org_id=org_demo
// …TrustAuthX redirects back to your callback with ?code=… (here the emulator mints one).
const code = emu.mintCode({ email: "ada@example.com" });
const user = await client.getUser(code);
console.log(user.uid, user.email, user.roles); // uid_…, "ada@example.com", []

// 2. The user's profile.
const data = await client.getUserData(user.accessToken);
console.log(data.name, data.img);

// 3. Roles of a user: attach, remove, update (with sign-off: a new session with the new roles).
await client.attachRole(user.uid, [editor.rolId, viewer.rolId]);
await client.removeRole(user.uid, viewer.rolId);
const assigned = await client.updateRole(user.uid, viewer.rolId, editor.rolId, {
  signoffSessionAndAssign: true,
  accessToken: user.accessToken,
  refreshToken: user.refreshToken,
});
if (!assigned.signedOff) throw new Error("expected a new session");
console.log(assigned.roles); // [viewer.rolId]
let { accessToken, refreshToken } = assigned; // the old tokens are revoked now

// 4. On each request: validate the token set; it refreshes an expired access token.
const check = await client.validateTokenSet(accessToken, refreshToken);
console.log(check.state); // true: valid as given
emu.advanceClock(3601); // an hour later…
const later = await client.validateTokenSet(accessToken, refreshToken);
console.log(later.state); // false: refreshed, store the new pair
accessToken = later.access;
refreshToken = later.refresh!;

// Or step by step.
console.log(await client.validateAccessToken(accessToken)); // true (false on 401/403)
const pair = await client.getAccessTokenFromRefreshToken(refreshToken); // rotates the refresh token
accessToken = pair.accessToken;
refreshToken = pair.refreshToken;

// 5. Edit-user: send the browser to the settings page; it comes back with ?code=…&ac=true.
console.log(await client.generateEditUserUrl(accessToken, "http://127.0.0.1:8787/after-edit"));
const reauthed = await client.reAuth(emu.mintCode({ uid: user.uid }));
console.log(reauthed.accessToken !== accessToken); // true: a fresh session

// 6. Logout: revoke the access token, the refresh token, both, or every session of the user.
await client.revokeToken({ accessToken, refreshToken });
await client.revokeToken({ accessToken: reauthed.accessToken, revokeAllTokens: true });

// An invalid set is an error with a stable code: log in again.
try {
  await client.validateTokenSet(reauthed.accessToken, reauthed.refreshToken);
} catch (err) {
  if (err instanceof AuthLiteError) console.log(err.code); // "ERR_INVALID_TOKEN_SET"
}

await client.roles.deleteRole(viewer.rolId);
await client.roles.deleteRole(editor.rolId);
await server.shutdown();
