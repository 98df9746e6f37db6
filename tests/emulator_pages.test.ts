// The emulator's login widget and settings page over a real socket: form, redirect with a
// code, the code exchanged for a user; profile edit, redirect with code and ac, re-auth.

import { test } from "node:test";
import assert from "node:assert/strict";
import { jwtVerify } from "jose";
import { createEmulator, type Emulator } from "../src/emulator/mod.ts";
import { serve } from "./_serve.ts";

const ORG = {
  orgId: "org_test_1",
  apiKey: "key_test_1",
  secretKey: "s3cr3t-key-for-tests-0123456789abcdef",
  callbackUrl: "http://127.0.0.1:9/auth/callback?from=widget",
  name: "Test Org",
};
const SIGNED_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhcGlfa2V5Ijoia2V5X3Rlc3RfMSJ9.2a7KyGp8e_GUM-vPTAOtj5htxnvaE4W-0WwF3E0k59Y";
const CREDS = `api_key=${ORG.apiKey}&signed_key=${SIGNED_KEY}`;

async function withEmulator(fn: (emu: Emulator, base: string) => Promise<void>): Promise<void> {
  const emu = createEmulator({ orgs: [ORG], control: true });
  const server = await serve(emu.fetch);
  try {
    await fn(emu, server.url);
  } finally {
    await server.close();
  }
}

function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
}

async function signedClaims(res: Response): Promise<Record<string, unknown>> {
  assert.equal(res.status, 200);
  const { payload } = await jwtVerify(await res.json(), new TextEncoder().encode(ORG.secretKey), {
    algorithms: ["HS256"],
  });
  return payload as Record<string, unknown>;
}

async function detailStatus(res: Response): Promise<number> {
  const body = await res.json();
  assert.equal(typeof body.detail, "string");
  return res.status;
}

test("GET /widget/login/ shows a sign-in form that posts back to itself", async () => {
  await withEmulator(async (_emu, base) => {
    const res = await fetch(`${base}/widget/login/?org_id=${ORG.orgId}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    const html = await res.text();
    assert.match(html, /<form method="post" action="\.\/\?org_id=org_test_1">/);
    assert.match(html, /name="email"/);
    assert.match(html, /name="name"/);
    assert.match(html, /Test Org/);
  });
});

test("POST /widget/login/ signs up, redirects with a code, and get-user accepts the code", async () => {
  await withEmulator(async (emu, base) => {
    const res = await postForm(`${base}/widget/login/?org_id=${ORG.orgId}`, {
      email: "ada@example.com",
      name: "Ada Lovelace",
    });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get("location") ?? "");
    assert.equal(`${location.origin}${location.pathname}`, "http://127.0.0.1:9/auth/callback");
    assert.equal(location.searchParams.get("from"), "widget");
    const code = location.searchParams.get("code") ?? "";
    assert.ok(code.length > 16);

    const claims = await signedClaims(
      await fetch(`${base}/api/user/me/auth/data?UserToken=${encodeURIComponent(code)}&${CREDS}`),
    );
    const sub = JSON.parse(claims.sub as string);
    assert.equal(sub.email, "ada@example.com");
    assert.equal(claims.name, "Ada Lovelace");

    // signing in again finds the same user
    const again = await postForm(`${base}/widget/login/?org_id=${ORG.orgId}`, {
      email: "ada@example.com",
    });
    const code2 = new URL(again.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const claims2 = await signedClaims(
      await fetch(`${base}/api/user/me/auth/data?UserToken=${encodeURIComponent(code2)}&${CREDS}`),
    );
    assert.equal(JSON.parse(claims2.sub as string).uid, sub.uid);
    assert.deepEqual(emu.requests().byPath, { "/api/user/me/auth/data": 2 });
  });
});

test("/widget/login/ answers bad input with a 4xx JSON detail", async () => {
  await withEmulator(async (_emu, base) => {
    assert.equal(await detailStatus(await fetch(`${base}/widget/login/`)), 400);
    assert.equal(await detailStatus(await fetch(`${base}/widget/login/?org_id=org_nope`)), 404);
    const w = `${base}/widget/login/?org_id=${ORG.orgId}`;
    assert.equal(await detailStatus(await postForm(w, { email: "not-an-email" })), 400);
    assert.equal(await detailStatus(await postForm(w, {})), 400);
    const json = await fetch(w, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(await detailStatus(json), 415);
    assert.equal(await detailStatus(await fetch(w, { method: "PUT" })), 405);
  });
});

test("GET /api/user/me/settings/ then POST: redirect with ac=true, and re-auth sees the change", async () => {
  await withEmulator(async (emu, base) => {
    const s = emu.session({ email: "bob@example.com" });
    const back = "http://127.0.0.1:9/profile/done?x=1";
    const page = await fetch(
      `${base}/api/user/me/settings/?AccessToken=${
        encodeURIComponent(s.accessToken)
      }&${CREDS}&url=${encodeURIComponent(back)}`,
    );
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("cache-control"), "no-store");
    const html = await page.text();
    assert.ok(!html.includes(s.accessToken), "the page does not echo the access token");
    assert.ok(!html.includes(SIGNED_KEY), "nor the signed key");
    assert.match(html, /action="\.\/"/);
    const formId = /name="form_id" value="([^"]+)"/.exec(html)?.[1] ?? "";
    assert.ok(formId.length > 16);

    const res = await postForm(`${base}/api/user/me/settings/`, {
      form_id: formId,
      name: "Robert",
      img: "https://img.example/bob.png",
    });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get("location") ?? "");
    assert.equal(`${location.origin}${location.pathname}`, "http://127.0.0.1:9/profile/done");
    assert.equal(location.searchParams.get("x"), "1");
    assert.equal(location.searchParams.get("ac"), "true");
    const code = location.searchParams.get("code") ?? "";

    const claims = await signedClaims(
      await fetch(
        `${base}/api/user/me/widget/re-auth/token?code=${encodeURIComponent(code)}&${CREDS}`,
      ),
    );
    assert.equal(claims.name, "Robert");
    assert.equal(claims.img, "https://img.example/bob.png");
    assert.equal(JSON.parse(claims.sub as string).uid, s.uid);

    // the form id is single use
    const replay = await postForm(`${base}/api/user/me/settings/`, {
      form_id: formId,
      name: "Eve",
    });
    assert.equal(await detailStatus(replay), 400);
    // the settings page is not an API call
    assert.deepEqual(emu.requests().byPath, { "/api/user/me/widget/re-auth/token": 1 });
  });
});

test("POST /api/user/me/settings/ without a change redirects with ac=false and a usable code", async () => {
  await withEmulator(async (emu, base) => {
    emu.seedUser({ email: "cy@example.com", name: "Cy" });
    const s = emu.session({ email: "cy@example.com" });
    const html = await (await fetch(
      `${base}/api/user/me/settings/?AccessToken=${s.accessToken}&${CREDS}&url=${
        encodeURIComponent("https://app.example/back")
      }`,
    )).text();
    const formId = /name="form_id" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const res = await postForm(`${base}/api/user/me/settings/`, {
      form_id: formId,
      name: "Cy",
      img: "",
    });
    const location = new URL(res.headers.get("location") ?? "");
    assert.equal(location.searchParams.get("ac"), "false");
    const claims = await signedClaims(
      await fetch(
        `${base}/api/user/me/widget/re-auth/token?code=${
          location.searchParams.get("code")
        }&${CREDS}`,
      ),
    );
    assert.equal(claims.name, "Cy");
  });
});

test("/api/user/me/settings/ refuses bad credentials, tokens, urls and forms", async () => {
  await withEmulator(async (emu, base) => {
    const s = emu.session({ email: "di@example.com" });
    const url = encodeURIComponent("https://app.example/back");
    const settings = `${base}/api/user/me/settings/`;
    assert.equal(
      await detailStatus(
        await fetch(`${settings}?AccessToken=${s.accessToken}&api_key=key_test_1&url=${url}`),
      ),
      401,
    );
    assert.equal(
      await detailStatus(await fetch(`${settings}?AccessToken=garbage&${CREDS}&url=${url}`)),
      401,
    );
    assert.equal(
      await detailStatus(
        await fetch(`${settings}?AccessToken=${s.accessToken}&${CREDS}&url=javascript:alert(1)`),
      ),
      400,
    );
    assert.equal(
      await detailStatus(await fetch(`${settings}?AccessToken=${s.accessToken}&${CREDS}`)),
      400,
    );
    assert.equal(await detailStatus(await postForm(settings, { form_id: "nope", name: "X" })), 400);
    assert.equal(await detailStatus(await postForm(settings, { name: "X" })), 400);
    assert.equal(
      await detailStatus(await postForm(settings, { form_id: "nope", name: "X", img: "ftp://x" })),
      400,
    );
    assert.equal(await detailStatus(await fetch(settings, { method: "DELETE" })), 405);
  });
});
