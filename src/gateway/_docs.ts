/**
 * The interactive API docs: Swagger UI served by the gateway itself, from the
 * pinned `swagger-ui-dist` (no CDN), under a Content-Security-Policy that
 * lets the page load its own script and style sheet and fetch this origin
 * only; and the cache settings of the OpenAPI document.
 *
 * @module
 */
import type { Context, Hono } from "hono";

/** The docs page's policy: no inline script, nothing from another origin, no framing. */
export const DOCS_CSP: string = [
  "default-src 'none'",
  "script-src 'self'",
  // Swagger UI (React) sets style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

// Loaded on the first request for the docs: 1.9 MB of text that no other
// route needs (esbuild still bundles it into the Worker).
type Assets = typeof import("./_swagger_ui_assets.ts");
let assets: Promise<Assets> | undefined;
const load = (): Promise<Assets> => (assets ??= import("./_swagger_ui_assets.ts"));

const IMMUTABLE = "public, max-age=31536000, immutable";

const INIT = `window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  deepLinking: false,
});
`;

function page(version: string, title: string): string {
  const base = `docs/${version}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${base}/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/init.js"></script>
</body></html>`;
}

function asset(c: Context, body: string, type: string): Response {
  c.header("cache-control", IMMUTABLE);
  c.header("content-type", type);
  return c.body(body, 200);
}

/**
 * Add `/docs` and its assets to `app` (outside its typed schema).
 *
 * @param app the gateway
 * @param title the page's title (plain text)
 */
export function docsRoutes(app: Hono, title: string): void {
  const safeTitle = title.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  app.get("/docs", async (c) => {
    const { SWAGGER_UI_VERSION } = await load();
    c.header("content-security-policy", DOCS_CSP);
    c.header("x-frame-options", "DENY");
    c.header("referrer-policy", "no-referrer");
    c.header("cache-control", "no-cache");
    return c.html(page(SWAGGER_UI_VERSION, safeTitle));
  });
  app.get("/docs/:version/:file", async (c, next) => {
    const a = await load();
    if (c.req.param("version") !== a.SWAGGER_UI_VERSION) return next();
    switch (c.req.param("file")) {
      case "swagger-ui.css":
        return asset(c, a.SWAGGER_UI_CSS, "text/css; charset=utf-8");
      case "swagger-ui-bundle.js":
        return asset(c, a.SWAGGER_UI_JS, "text/javascript; charset=utf-8");
      case "init.js":
        return asset(c, INIT, "text/javascript; charset=utf-8");
      default:
        return next();
    }
  });
}
