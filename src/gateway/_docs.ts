/**
 * The interactive API docs, opt-in: Swagger UI served by the gateway itself
 * from assets the deployment passes in (`createGateway({ docs: { ui } })`,
 * `ui` from the module `scripts/build-docs-assets.mjs` builds from the pinned
 * `swagger-ui-dist`; no CDN), under a Content-Security-Policy that lets the
 * page load its own script and style sheet and fetch this origin only. A
 * gateway given no `docs` has no `/docs` route and holds none of Swagger UI.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { AuthLiteInputError } from "../errors.ts";

/** Swagger UI's style sheet and script, as text (`swagger-ui.css`, `swagger-ui-bundle.js`). */
export interface SwaggerUiAssets {
  /** The version of `swagger-ui-dist` they come from (part of the assets' URLs). */
  readonly version: string;
  /** `swagger-ui.css`. */
  readonly css: string;
  /** `swagger-ui-bundle.js`. */
  readonly js: string;
}

/** The `docs` option of `createGateway`: serve Swagger UI at `/docs`. */
export interface GatewayDocs {
  /**
   * The assets: `ui` from the module `node scripts/build-docs-assets.mjs`
   * writes (`.tmp/docs-ui/swagger_ui.js`), or your own of the same shape.
   */
  ui: SwaggerUiAssets;
  /** The page's title (plain text; default `"authlite gateway"`). */
  title?: string;
}

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

function checked(docs: GatewayDocs): SwaggerUiAssets {
  const ui = (docs as Partial<GatewayDocs> | null)?.ui;
  if (
    typeof ui !== "object" || ui === null || typeof ui.css !== "string" ||
    typeof ui.js !== "string" || typeof ui.version !== "string" ||
    !/^[\w.-]{1,64}$/.test(ui.version)
  ) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      "Invalid option: docs.ui must be { version, css, js } (see scripts/build-docs-assets.mjs)",
    );
  }
  return ui;
}

/**
 * Add `/docs` and its assets to `app` (outside its typed schema).
 *
 * @param app the gateway
 * @param docs the assets and the page's title
 * @throws {AuthLiteInputError} `ERR_CONFIG` when `docs.ui` is not `{ version, css, js }`
 */
export function docsRoutes(app: Hono, docs: GatewayDocs): void {
  const ui = checked(docs);
  const title = docs.title ?? "authlite gateway";
  const html = page(ui.version, title.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`));
  app.get("/docs", (c) => {
    c.header("content-security-policy", DOCS_CSP);
    c.header("x-frame-options", "DENY");
    c.header("referrer-policy", "no-referrer");
    c.header("cache-control", "no-cache");
    return c.html(html);
  });
  app.get("/docs/:version/:file", async (c, next) => {
    if (c.req.param("version") !== ui.version) return await next();
    switch (c.req.param("file")) {
      case "swagger-ui.css":
        return asset(c, ui.css, "text/css; charset=utf-8");
      case "swagger-ui-bundle.js":
        return asset(c, ui.js, "text/javascript; charset=utf-8");
      case "init.js":
        return asset(c, INIT, "text/javascript; charset=utf-8");
      default:
        return await next();
    }
  });
}
