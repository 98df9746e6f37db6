/**
 * The HTML shell and the style sheet of the demo page.
 *
 * @module
 */

/**
 * The HTML document of the page; the script and style sheet load from `base`.
 *
 * @param base the path the page is served under ("" for the root)
 * @returns the document
 */
export function pageHtml(base: string): string {
  const b = escapeAttr(base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="authlite-base" content="${b}">
<title>authlite</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${b}/ui.css">
<script type="module" src="${b}/ui.js"></script>
</head>
<body>
<div id="app" class="app"><main aria-busy="true"><p class="muted">Loading…</p></main></div>
<noscript><p>This page needs JavaScript.</p></noscript>
</body>
</html>
`;
}

function escapeAttr(text: string): string {
  return text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The style sheet of the page. */
export const PAGE_CSS: string = `
:root {
  color-scheme: light;
  --bg: #f6f7f9; --card: #fff; --text: #1c2430; --muted: #5b6675; --line: #e2e6eb;
  --accent: #3557d6; --accent-text: #fff; --danger: #b42318; --ok: #067647; --warn: #b54708;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
.app { max-width: 780px; margin: 0 auto; padding: 24px 16px 48px; }
header h1 { margin: 0; font-size: 1.6rem; letter-spacing: -0.01em; }
header p { margin: 2px 0 16px; }
h2 { font-size: 1.1rem; margin: 0 0 12px; }
.muted { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 18px 20px; margin: 0 0 16px; }
.hero { text-align: center; padding: 36px 20px; }
.person { display: flex; gap: 20px; align-items: flex-start; }
.avatar { width: 72px; height: 72px; border-radius: 50%; object-fit: cover; flex: none; background: #dfe5f5; }
.initials { display: flex; align-items: center; justify-content: center; font-weight: 600; color: var(--accent); font-size: 1.4rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
code { font: 0.85em ui-monospace, SFMono-Regular, Menlo, monospace; background: #f0f2f5; padding: 1px 5px; border-radius: 4px; }
.chips { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }
.chip { display: inline-flex; align-items: center; gap: 4px; background: #eef1fb; border-radius: 999px; padding: 2px 10px; font-size: 0.9em; }
.chip-remove { border: 0; background: none; padding: 0 2px; cursor: pointer; color: var(--muted); font-size: 1.1em; line-height: 1; }
.chip-remove:hover { color: var(--danger); }
.badge { border-radius: 999px; padding: 2px 10px; font-size: 0.9em; }
.badge.valid { background: #e6f4ec; color: var(--ok); }
.badge.refreshed { background: #fdf0e2; color: var(--warn); }
.breaker-open { background: #fde8e8; color: var(--danger); }
.breaker-half-open { background: #fdf0e2; color: var(--warn); }
button, .button {
  display: inline-flex; align-items: center; gap: 8px; font: inherit; cursor: pointer;
  border: 1px solid var(--line); background: #fff; color: var(--text); border-radius: 8px;
  padding: 7px 14px; text-decoration: none;
}
button:hover, .button:hover { border-color: #c5ccd6; }
button:focus-visible, .button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid #9db1f5; outline-offset: 1px; }
.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
.danger { color: var(--danger); }
.small { padding: 3px 10px; font-size: 0.9em; }
.link { border: 0; background: none; padding: 0; color: inherit; text-decoration: underline; }
button[disabled] { opacity: 0.65; cursor: progress; }
.spinner { width: 14px; height: 14px; border: 2px solid currentColor; border-right-color: transparent; border-radius: 50%; animation: spin 0.8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .spinner { animation-duration: 2.4s; } }
.row { display: flex; gap: 10px; flex-wrap: wrap; align-items: flex-end; }
.alert { display: flex; justify-content: space-between; gap: 12px; background: #fef3f2; color: var(--danger); border: 1px solid #fecdca; border-radius: 10px; padding: 10px 14px; margin: 0 0 16px; }
.notice { background: #fffaeb; color: var(--warn); border: 1px solid #fedf89; border-radius: 10px; padding: 10px 14px; }
.status:empty { display: none; }
.status { background: #ecfdf3; color: var(--ok); border: 1px solid #abefc6; border-radius: 10px; padding: 8px 14px; margin: 0 0 16px; }
table { width: 100%; border-collapse: collapse; margin: 0 0 16px; }
caption { text-align: left; color: var(--muted); padding-bottom: 6px; }
th, td { text-align: left; padding: 8px 6px; border-top: 1px solid var(--line); vertical-align: top; }
thead th { border-top: 0; color: var(--muted); font-weight: 500; font-size: 0.9em; }
.admin-forms { display: grid; gap: 12px; }
fieldset { border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; margin: 0; display: grid; gap: 6px; }
legend { font-weight: 600; padding: 0 4px; }
label { font-size: 0.9em; color: var(--muted); }
input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #cfd5dd; border-radius: 6px; width: 100%; background: #fff; }
fieldset > button { justify-self: start; margin-top: 6px; }
.row > div { flex: 1; display: grid; gap: 4px; }
.chip code { background: none; padding: 0; }
@media (min-width: 1100px) {
  .app { max-width: 1180px; }
  main.signed-in {
    display: grid; gap: 0 16px; grid-template-columns: minmax(340px, 5fr) 7fr;
    grid-template-areas: "account admin" "session admin" "signout admin" ". admin";
    grid-template-rows: auto auto auto 1fr; align-items: start;
  }
  main.signed-in > [aria-labelledby="account-title"] { grid-area: account; }
  main.signed-in > [aria-labelledby="session-title"] { grid-area: session; }
  main.signed-in > [aria-labelledby="admin-title"] { grid-area: admin; }
  main.signed-in > [aria-labelledby="signout-title"] { grid-area: signout; }
}
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
