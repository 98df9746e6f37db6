/**
 * The demo page of the gateway: a small plain-DOM app (sign in, see the user and the
 * session, edit the profile, manage roles, sign out), bundled for the browser with
 * esbuild when first asked for. Development tool: it needs esbuild (a dev dependency)
 * and a file system, so it runs under Deno, Bun and Node, not inside a Worker.
 *
 * @example Serve the page with the gateway
 * ```ts ignore
 * import { Hono } from "hono";
 * import { uiRoutes } from "./web/mod.ts";
 * const app = new Hono();
 * app.route("/", uiRoutes());
 * ```
 *
 * @module
 */

import { Hono } from "hono";
import { AuthLiteInputError } from "../mod.ts";
import { PAGE_CSS, pageHtml } from "./page.ts";

/** The built page: its HTML document, its script and its style sheet. */
export interface UiBundle {
  /** The HTML document served at the page's path. */
  html: string;
  /** The browser script, an ES module, served at `/ui.js`. */
  js: string;
  /** The style sheet, served at `/ui.css`. */
  css: string;
}

/** Options of {@linkcode buildUi}. */
export interface BuildUiOptions {
  /** The path the gateway is mounted under (default `""`, the root). */
  basePath?: string;
  /** Minify the script (default `true`). */
  minify?: boolean;
}

/**
 * Bundle the page for the browser.
 *
 * @param options the base path and minification
 * @returns the HTML, script and style sheet
 * @throws {AuthLiteInputError} `ERR_CONFIG` when `basePath` is not a path
 * @throws {Error} when esbuild is not installed or the sources do not compile
 *
 * @example
 * ```ts ignore
 * import { buildUi } from "./web/mod.ts";
 * const { html, js } = await buildUi();
 * ```
 */
export async function buildUi(options: BuildUiOptions = {}): Promise<UiBundle> {
  const base = normaliseBase(options.basePath ?? "");
  // Loaded on demand so that importing this module costs nothing until the page is asked for.
  const esbuild = await import("esbuild");
  const { fileURLToPath } = await import("node:url");
  const entry = fileURLToPath(new URL("./main.ts", import.meta.url));
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: options.minify ?? true,
    legalComments: "none",
    logLevel: "silent",
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error("Could not bundle the page: esbuild produced no output");
  return { html: pageHtml(base), js, css: PAGE_CSS };
}

/** Options of {@linkcode uiRoutes}. */
export interface UiRoutesOptions extends BuildUiOptions {
  /** A bundle built beforehand (e.g. at start); when absent the page is built on first request. */
  bundle?: UiBundle;
}

/**
 * A Hono sub-app serving the page at `/`, its script at `/ui.js` and its style sheet at
 * `/ui.css`, with a strict Content-Security-Policy. Mount it at the gateway's root.
 *
 * @param options the base path the gateway is mounted under, or a prebuilt bundle
 * @returns the sub-app
 * @throws {AuthLiteInputError} `ERR_CONFIG` when `basePath` is not a path
 */
export function uiRoutes(options: UiRoutesOptions = {}): Hono {
  normaliseBase(options.basePath ?? "");
  let pending: Promise<UiBundle> | undefined = options.bundle
    ? Promise.resolve(options.bundle)
    : undefined;
  const bundle = (): Promise<UiBundle> => {
    pending ??= buildUi(options).catch((err) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
  const app = new Hono();
  app.get("/", async (c) => {
    const { html } = await bundle();
    return c.html(html, 200, {
      "content-security-policy": CSP,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    });
  });
  app.get("/ui.js", async (c) => {
    const { js } = await bundle();
    return c.body(js, 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    });
  });
  app.get("/ui.css", (c) =>
    c.body(PAGE_CSS, 200, {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    }));
  return app;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: http: data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join("; ");

function normaliseBase(base: string): string {
  const trimmed = base.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(trimmed)) {
    throw new AuthLiteInputError(
      "ERR_CONFIG",
      `Invalid option basePath: ${JSON.stringify(base).slice(0, 60)}`,
    );
  }
  return trimmed;
}
