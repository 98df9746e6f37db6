/**
 * The emulator's HTML pages: the login widget (sign in or sign up, then back to the
 * organisation's callback with `?code=`) and the settings page (edit name and picture,
 * then back to `url` with `?code=..&ac=true|false`). Neither page echoes a token: the
 * settings form carries a short-lived opaque form id instead.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import { allow, authenticate, errorReply, formBody, query, type Routes } from "./_http.ts";
import { checkText, EmulatorError, type State } from "./state.ts";

const WIDGET = "/widget/login/";
const SETTINGS = "/api/user/me/settings/";

/**
 * Register the widget and settings pages.
 *
 * @param app the Hono app
 * @param state the emulator state
 * @param routes the route table (for 405)
 */
export function registerPages(app: Hono, state: State, routes: Routes): void {
  const page = (
    method: string,
    path: string,
    handler: (c: Context) => Response | Promise<Response>,
  ): void => {
    allow(routes, method, path);
    app.on(method, path, async (c) => {
      try {
        return await handler(c);
      } catch (err) {
        return errorReply(err);
      }
    });
  };

  page("GET", WIDGET, (c) => {
    const org = state.org(query(c, "org_id"));
    // Relative actions, so the pages also work with the app mounted under a prefix.
    const action = `./?org_id=${encodeURIComponent(org.org.orgId)}`;
    return html(layout(
      `Sign in to ${org.org.name ?? org.org.orgId}`,
      `<form method="post" action="${esc(action)}">
  <label>E-mail <input type="email" name="email" required autocomplete="email" autofocus></label>
  <label>Name <input type="text" name="name" autocomplete="name" placeholder="optional"></label>
  <button type="submit">Continue</button>
</form>
<p class="note">Local TrustAuthX emulator: no password; an unknown e-mail signs up.</p>`,
    ));
  });

  page("POST", WIDGET, async (c) => {
    const org = state.org(query(c, "org_id"));
    const form = await formBody(c);
    const name = (form.name ?? "").trim();
    if (name !== "") checkText(name, "name");
    const known = org.findByEmail(form.email ?? "");
    const user = known ??
      org.upsertUser(name === "" ? { email: form.email ?? "" } : { email: form.email ?? "", name });
    const target = new URL(org.org.callbackUrl);
    target.searchParams.set("code", org.mintCode(user.uid));
    return redirect(target.href);
  });

  page("GET", SETTINGS, (c) => {
    const org = authenticate(c, state);
    const { user } = org.checkToken(query(c, "AccessToken"), "access");
    const url = returnUrl(query(c, "url"));
    const formId = org.openForm(user.uid, url);
    return html(layout(
      "Your profile",
      `<form method="post" action="./">
  <input type="hidden" name="form_id" value="${esc(formId)}">
  <p class="note">${esc(user.email)}</p>
  <label>Name <input type="text" name="name" value="${esc(user.name)}" required></label>
  <label>Picture URL <input type="url" name="img" value="${esc(user.img)}"></label>
  <button type="submit">Save</button>
</form>`,
    ));
  });

  page("POST", SETTINGS, async (c) => {
    const form = await formBody(c);
    const name = checkText((form.name ?? "").trim(), "name", true);
    const img = checkText((form.img ?? "").trim(), "img");
    if (img !== "" && !/^https?:\/\//i.test(img)) {
      throw new EmulatorError(400, "Invalid field: img");
    }
    const formId = form.form_id;
    if (!formId) throw new EmulatorError(400, "Missing field: form_id");
    // The form id names the organisation implicitly: look it up in each.
    for (const org of state.orgs) {
      const taken = org.takeForm(formId);
      if (!taken) continue;
      const changed = taken.user.name !== name || taken.user.img !== img;
      taken.user.name = name;
      taken.user.img = img;
      const target = new URL(taken.url);
      target.searchParams.set("code", org.mintCode(taken.user.uid));
      target.searchParams.set("ac", String(changed));
      return redirect(target.href);
    }
    throw new EmulatorError(400, "Invalid form: expired or already submitted");
  });
}

function returnUrl(url: string): string {
  if (!URL.canParse(url)) throw new EmulatorError(400, "Invalid query parameter: url");
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new EmulatorError(400, "Invalid query parameter: url must be http or https");
  }
  return u.href;
}

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
};

function html(body: string): Response {
  return new Response(body, {
    status: 200,
    headers: {
      ...SECURITY_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy":
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    },
  });
}

function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { ...SECURITY_HEADERS, location } });
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function layout(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; margin: 0; }
main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px;
  box-shadow: 0 1px 4px rgba(0,0,0,.1); }
h1 { font-size: 1.25rem; margin: 0 0 1rem; }
label { display: block; margin: 0 0 1rem; font-size: .9rem; }
input { display: block; width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem;
  font: inherit; border: 1px solid #c8ccd2; border-radius: 4px; }
button { width: 100%; padding: .6rem; font: inherit; border: 0; border-radius: 4px; background: #2b59c3;
  color: #fff; cursor: pointer; }
.note { color: #666; font-size: .8rem; }
</style>
</head>
<body><main><h1>${esc(title)}</h1>
${content}
</main></body>
</html>
`;
}
