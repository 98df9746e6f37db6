/**
 * The two small pages of the session routes, for people rather than
 * programs: the confirmation of a login another site started, and the page a
 * browser navigation gets when a login, a callback or a logout fails (what
 * happened in words, and a link to sign in again). They carry no token, run
 * no script, may not be framed, and send forms to this origin only.
 *
 * @module
 */
import type { Context } from "hono";
import type { ErrorCode } from "./errors.ts";

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE = `body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
button,a.button{font:inherit;padding:.5rem 1rem}small{color:#555}`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function page(c: Context, title: string, body: string, status: 200 | number): Response {
  c.header("content-security-policy", CSP);
  c.header("x-frame-options", "DENY");
  c.header("referrer-policy", "no-referrer");
  c.header("x-content-type-options", "nosniff");
  c.header("cache-control", "no-store");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head>
<body>${body}</body></html>`;
  return c.html(html, status as 200);
}

/**
 * Whether the request is a browser's navigation (a person will read the
 * answer): `Sec-Fetch-Mode: navigate`, or an `Accept` that asks for HTML.
 *
 * @param c the context
 * @returns `true` for a navigation
 */
export function isNavigation(c: Context): boolean {
  if (c.req.header("sec-fetch-mode") === "navigate") return true;
  return (c.req.header("accept") ?? "").includes("text/html");
}

/**
 * The page that a login started from another site gets: one button, which
 * submits a same-origin form (`POST <login path>`).
 *
 * @param c the context
 * @param returnTo the (safe) path to return to
 * @param action the path of the login route (it follows the routes' prefix)
 * @returns the page
 */
export function confirmLoginPage(c: Context, returnTo: string, action: string): Response {
  return page(
    c,
    "Sign in",
    `<h1>Sign in</h1>
<p>Another site sent you here to sign in. Continue only if you meant to sign in to this site.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="redirect" value="${escapeHtml(returnTo)}">
<button type="submit">Continue to sign in</button>
</form>`,
    200,
  );
}

/** What each failure means to a person. */
function wordsOf(code: ErrorCode, step: "login" | "callback" | "logout"): string {
  switch (code) {
    case "ERR_BAD_INPUT":
      return step === "callback"
        ? "This sign-in link has already been used, has expired, or was not started in this browser."
        : "The request was not understood.";
    case "ERR_HTTP":
    case "ERR_INVALID_TOKEN_SET":
    case "ERR_UNAUTHORIZED":
      return "The sign-in service did not accept this sign-in. It may have expired.";
    case "ERR_FORBIDDEN":
      return step === "logout"
        ? "Another site asked to sign you out. You are still signed in."
        : "Another site tried to act for you here, so nothing was done.";
    case "ERR_RATE_LIMITED":
      return "Too many attempts from your network. Wait a minute, then try again.";
    case "ERR_UNAVAILABLE":
    case "ERR_NETWORK":
    case "ERR_TIMEOUT":
    case "ERR_BAD_REPLY":
    case "ERR_BAD_SIGNATURE":
      return "The sign-in service cannot be reached right now. Nothing was changed: try again in a moment.";
    case "ERR_CONFIG":
    case "ERR_CREDENTIALS":
      return "Signing in is misconfigured on this site. Its operators can see why in their logs.";
    default:
      return "Something went wrong.";
  }
}

const TITLES = {
  login: "Signing in failed",
  callback: "Signing in failed",
  logout: "Signing out failed",
} as const;

/**
 * The page of a failed login, callback or logout, for a browser navigation:
 * the status of the failure, what happened in words, and a link to sign in
 * again. No token, no detail of the upstream's reply.
 *
 * @param c the context
 * @param failure the status and code of the failure
 * @param step which route failed
 * @param loginPath the path of the login route (it follows the routes' prefix)
 * @returns the page
 */
export function errorPage(
  c: Context,
  failure: { status: number; code: ErrorCode },
  step: "login" | "callback" | "logout",
  loginPath: string,
): Response {
  return page(
    c,
    TITLES[step],
    `<h1>${TITLES[step]}</h1>
<p>${escapeHtml(wordsOf(failure.code, step))}</p>
<p><a class="button" href="${escapeHtml(loginPath)}">Sign in again</a></p>
<p><small>Error code: ${escapeHtml(failure.code)}</small></p>`,
    failure.status,
  );
}
