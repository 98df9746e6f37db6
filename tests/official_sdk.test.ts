// The official TypeScript SDK (npm `trustauthx`, a dev dependency) against the emulator over
// real HTTP. The SDK has no option for its origins: it calls the global `fetch` with
// `https://api.trustauthx.com/...` hard-coded, so each test swaps the global `fetch` for one
// that sends those requests to the emulator (and puts the original back). Every operation it
// implements correctly works against the emulator; what it implements wrongly (the README,
// "What differs from the official connectors") is pinned down below with what it does, so a change in either side shows here.
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { AuthLiteClient as OfficialClient } from "trustauthx";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { serve, type TestServer } from "./_serve.ts";

const API = "https://api.trustauthx.com";
const WIDGET = /^https:\/\/([a-z0-9-]+\.)?app\.trustauthx\.com/;

let emu: Emulator;
let server: TestServer;
let sdk: OfficialClient;
let outside: string[];
const realFetch = globalThis.fetch;

/** Where the SDK's hard-coded URLs go: the emulator (the API and the widget alike). */
function toEmulator(url: string): string {
  return url.replace(API, server.url).replace(WIDGET, server.url);
}

beforeEach(async () => {
  emu = createEmulator({ control: true });
  server = await serve(emu.fetch);
  outside = [];
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(API)) outside.push(url);
    return realFetch(toEmulator(url), init);
  }) as typeof fetch;
  sdk = new OfficialClient(DEMO_ORG.apiKey, DEMO_ORG.secretKey, DEMO_ORG.orgId);
});

afterEach(async () => {
  globalThis.fetch = realFetch;
  await server.close();
  // Nothing the SDK sent went anywhere but the (rewritten) API origin.
  assert.deepEqual(outside, []);
});

describe("the official TypeScript SDK against the emulator", () => {
  test("getUser() exchanges a login code: the user, the tokens and the claims", async () => {
    const role = emu.seedRole({ name: "viewer", permissions: [{ doc: "read" }] });
    emu.seedUser({ email: "ada@example.com", name: "Ada", roles: [role.rol_id] });
    const code = emu.mintCode({ email: "ada@example.com" });
    const user = await sdk.getUser(code);
    assert.equal(user.email, "ada@example.com");
    assert.equal(user.name, "Ada");
    assert.match(user.uid, /^uid_/);
    assert.deepEqual(JSON.parse(user.scope), [role.rol_id]);
    assert.equal(user.access_token.split(".").length, 3);
    assert.equal(typeof user.exp, "number");
    assert.deepEqual(emu.requests(), { total: 1, byPath: { "/api/user/me/auth/data": 1 } });
    // A code is single use: the second exchange is refused (a plain Error with the body).
    await assert.rejects(sdk.getUser(code), /Request failed with status code: 401/);
  });

  test("getUserFromToken() reads the user of an access token", async () => {
    const s = emu.session({ email: "ada@example.com" });
    emu.resetRequests();
    assert.deepEqual(await sdk.getUserFromToken(s.accessToken), {
      uid: s.uid,
      email: "ada@example.com",
      img: "",
    });
    assert.deepEqual(emu.requests(), { total: 1, byPath: { "/api/user/me/data": 1 } });
  });

  test("validateAccessToken() answers true for a live token, false for an expired one", async () => {
    const s = emu.session({ email: "ada@example.com" });
    emu.resetRequests();
    assert.equal(await sdk.validateAccessToken(s.accessToken), true);
    emu.advanceClock(3601);
    assert.equal(await sdk.validateAccessToken(s.accessToken), false);
    assert.equal(await sdk.validateAccessToken("not-a-token"), false);
    assert.deepEqual(emu.requests().byPath, { "/api/user/me/auth/validate/token": 3 });
  });

  test("getAccessTokenFromRefreshToken() rotates the pair; the old refresh token is spent", async () => {
    const s = emu.session({ email: "ada@example.com" });
    emu.resetRequests();
    const pair = await sdk.getAccessTokenFromRefreshToken(s.refreshToken);
    assert.equal(typeof pair.access_token, "string");
    assert.notEqual(pair.refresh_token, s.refreshToken);
    assert.equal(await sdk.validateAccessToken(pair.access_token), true);
    await assert.rejects(sdk.getAccessTokenFromRefreshToken(s.refreshToken), /status code: 401/);
    assert.deepEqual(emu.requests().byPath, {
      "/api/user/me/access/token/": 2,
      "/api/user/me/auth/validate/token": 1,
    });
  });

  test("validateTokenSet() answers the set as given, then refreshes it once expired", async () => {
    const s = emu.session({ email: "ada@example.com" });
    emu.resetRequests();
    assert.deepEqual(await sdk.validateTokenSet(s.accessToken, s.refreshToken), {
      state: true,
      access: s.accessToken,
      refresh: s.refreshToken,
    });
    emu.advanceClock(3601);
    const later = await sdk.validateTokenSet(s.accessToken, s.refreshToken);
    assert.equal(later.state, false);
    assert.notEqual(later.access, s.accessToken);
    assert.equal(await sdk.validateAccessToken(later.access), true);
    assert.deepEqual(emu.requests().byPath, {
      "/api/user/me/auth/validate/token": 3,
      "/api/user/me/access/token/": 1,
    });
  });

  test("revokeToken() revokes an access token, or every session of the user", async () => {
    const a = emu.session({ email: "ada@example.com" });
    const b = emu.session({ email: "ada@example.com" });
    emu.resetRequests();
    assert.equal(await sdk.revokeToken(a.accessToken), true);
    assert.equal(await sdk.validateAccessToken(a.accessToken), false);
    assert.equal(await sdk.validateAccessToken(b.accessToken), true);
    assert.equal(await sdk.revokeToken(b.accessToken, null, true), true);
    assert.equal(await sdk.validateAccessToken(b.accessToken), false);
    // Every session: the refresh tokens are gone too.
    await assert.rejects(sdk.getAccessTokenFromRefreshToken(a.refreshToken), /status code: 401/);
    assert.deepEqual(emu.requests().byPath, {
      "/api/user/me/token/": 2,
      "/api/user/me/auth/validate/token": 3,
      "/api/user/me/access/token/": 1,
    });
  });

  test("generateUrl() and generateEditUserUrl() lead to the emulator's widget and settings page", async () => {
    assert.equal(sdk.generateUrl(), "https://app.trustauthx.com/widget/login/?org_id=org_demo");
    assert.equal(
      sdk.generateUrl("acme"),
      "https://acme.app.trustauthx.com/widget/login/?org_id=org_demo",
    );
    for (const url of [sdk.generateUrl(), sdk.generateUrl("acme")]) {
      const page = await realFetch(toEmulator(url));
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Sign in to Demo organisation/);
    }
    const s = emu.session({ email: "ada@example.com" });
    const edit = sdk.generateEditUserUrl(s.accessToken, "http://127.0.0.1:8787/after-edit");
    assert.ok(edit.startsWith(`${API}/api/user/me/settings/?`));
    const page = await realFetch(toEmulator(edit));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Your profile/);
    // Pages are not API calls.
    assert.equal(emu.requests().total, 0);
  });
});

describe("the official TypeScript SDK's faults (see docs/client.md: what differs from the official connectors), as it shows them", () => {
  test("getUser() decodes the signed reply without verifying it: a forged reply is accepted", async () => {
    emu.seedUser({ email: "ada@example.com" });
    for (const kind of ["bad-signature", "alg-none"] as const) {
      emu.inject({ kind });
      const user = await sdk.getUser(emu.mintCode({ email: "ada@example.com" }));
      // Signed with another key (or not at all), and taken as genuine.
      assert.equal(user.email, "ada@example.com");
    }
  });

  test("reAuth() cannot read the reply: it decodes the JSON text of the string, quotes and all", async () => {
    emu.seedUser({ email: "ada@example.com" });
    // The emulator answers a signed string (as getUser's), and the code is used up...
    await assert.rejects(
      sdk.reAuth(emu.mintCode({ email: "ada@example.com" })),
      // (Node and Deno: "Cannot read properties of null"; Bun: "null is not an object".)
      /Request failed: TypeError: .*null.*email/,
    );
    assert.deepEqual(emu.requests().byPath, { "/api/user/me/widget/re-auth/token": 1 });
    // ...while the same reply read as the contract says (a JSON string holding a JWS) is good.
    const code = emu.mintCode({ email: "ada@example.com" });
    const res = await fetch(
      `${API}/api/user/me/widget/re-auth/token?code=${code}&api_key=${DEMO_ORG.apiKey}&signed_key=${
        // The SDK's own signed key: the emulator accepted it above.
        (sdk as unknown as { signedKey: string }).signedKey}`,
    );
    const jws = await res.json() as string;
    assert.equal(jws.split(".").length, 3);
  });

  test("revokeToken() cannot revoke a refresh token alone: it throws before any request", async () => {
    const s = emu.session({ email: "ada@example.com" });
    emu.resetRequests();
    await assert.rejects(
      sdk.revokeToken("", s.refreshToken),
      /Must provide either AccessToken or RefreshToken/,
    );
    assert.equal(emu.requests().total, 0);
  });

  test("validateTokenSet() answers an empty set, not an error, for a dead token and no refresh token", async () => {
    const s = emu.session({ email: "ada@example.com" });
    emu.advanceClock(3601);
    assert.deepEqual(
      await sdk.validateTokenSet(s.accessToken, undefined as unknown as string),
      { access: "", refresh: "", state: false },
    );
  });

  test("errors are plain Error strings, and the SDK has no role or permission API", async () => {
    const err = await sdk.getUserFromToken("not-a-token").catch((e: unknown) => e);
    assert.equal(Object.getPrototypeOf(err), Error.prototype);
    assert.match(String(err), /status code: 401/);
    for (const name of ["roles", "attachRole", "getAllRoles", "addRole"]) {
      assert.equal(name in sdk, false, name);
    }
  });
});
