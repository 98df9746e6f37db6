/**
 * Test helper: a browser over plain HTTP, enough to sign in to an app through the login
 * widget as a person would. It keeps cookies as a browser does (host-only, by path, deleted
 * by `Max-Age=0` or a past `Expires`; ports share cookies, as in browsers), follows
 * redirects by hand (302/303 turn a POST into a GET) and sends the headers a browser sends:
 * `Accept`, `Origin` on POST, and Fetch Metadata (`Sec-Fetch-Site` worked out over the whole
 * redirect chain, `Sec-Fetch-Mode`, `Sec-Fetch-Dest`).
 *
 * @module
 */

/** One stored cookie. */
interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

/** One request of a navigation, in order. */
export interface Hop {
  /** The URL requested. */
  url: string;
  /** Its method. */
  method: string;
  /** The `Sec-Fetch-Site` sent. */
  site: string;
  /** The status answered. */
  status: number;
  /** The `Location` answered, if any. */
  location: string | null;
  /** The names of the cookies the reply set or cleared. */
  setCookies: string[];
}

/** Where a navigation ended. */
export interface Page {
  /** The final URL. */
  url: string;
  /** The final status. */
  status: number;
  /** The final headers. */
  headers: Headers;
  /** The final body. */
  text: string;
  /** Every request made, the redirects included. */
  hops: Hop[];
}

/** A navigation: typed in the address bar (`from` left out) or started from a page. */
export interface NavigateInit {
  /** The page the navigation starts from (a link or a form on it); none: typed by a person. */
  from?: string;
  /** The method (default GET). */
  method?: "GET" | "POST";
  /** A form to submit (`application/x-www-form-urlencoded`). */
  form?: Record<string, string>;
}

const MAX_REDIRECTS = 10;

function siteOf(url: URL): string {
  return `${url.protocol}//${url.hostname}`;
}

/** `Sec-Fetch-Site` of a request to `target` made along `chain` (initiator first). */
function fetchSite(chain: readonly URL[], target: URL): string {
  let value = "same-origin";
  for (const url of chain) {
    if (siteOf(url) !== siteOf(target)) return "cross-site";
    if (url.origin !== target.origin) value = "same-site";
  }
  return value;
}

/** Whether `requestPath` is in the cookie path `cookiePath` (RFC 6265, 5.1.4). */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

/** The default path of a cookie set by a reply to `url` (RFC 6265, 5.1.4). */
function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith("/") || path.lastIndexOf("/") === 0) return "/";
  return path.slice(0, path.lastIndexOf("/"));
}

/** A browser over HTTP: cookies, redirects and the headers browsers send. */
export class Browser {
  #cookies: StoredCookie[] = [];

  /**
   * Take the `Set-Cookie` headers of a reply to `url`.
   *
   * @param url the URL that answered
   * @param res the reply
   * @returns the names of the cookies set or cleared
   */
  take(url: URL, res: Response): string[] {
    const names: string[] = [];
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = defaultPath(url);
      let expired = false;
      for (const attribute of attributes) {
        const [key = "", ...rest] = attribute.split("=");
        const v = rest.join("=").trim();
        const k = key.trim().toLowerCase();
        if (k === "path" && v.startsWith("/")) path = v;
        if (k === "max-age" && Number(v) <= 0) expired = true;
        if (k === "expires" && Date.parse(v) <= Date.now()) expired = true;
      }
      names.push(name);
      this.#cookies = this.#cookies.filter((c) =>
        !(c.name === name && c.host === url.hostname && c.path === path)
      );
      if (!expired) this.#cookies.push({ name, value, host: url.hostname, path });
    }
    return names;
  }

  /**
   * The `Cookie` header a browser sends to `url` (longer paths first), or `null`.
   *
   * @param url where to
   * @returns the header's value
   */
  cookieHeader(url: URL): string | null {
    const sent = this.#cookies
      .filter((c) => c.host === url.hostname && pathMatches(url.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length);
    return sent.length === 0 ? null : sent.map((c) => `${c.name}=${c.value}`).join("; ");
  }

  /**
   * The names of the cookies held for `url`.
   *
   * @param url where to
   * @returns the names, sorted
   */
  cookieNames(url: string): string[] {
    const u = new URL(url);
    return this.#cookies
      .filter((c) => c.host === u.hostname && pathMatches(u.pathname, c.path))
      .map((c) => c.name).sort();
  }

  /**
   * Navigate as a person does: type a URL, follow a link or submit a form.
   *
   * @param url where to
   * @param init the page it starts from, the method, the form
   * @returns the page it ends on, and every hop
   */
  async navigate(url: string, init: NavigateInit = {}): Promise<Page> {
    const chain: URL[] = init.from === undefined ? [] : [new URL(init.from)];
    let target = new URL(url, init.from);
    let method = init.method ?? "GET";
    let body: string | null = init.form === undefined
      ? null
      : new URLSearchParams(init.form).toString();
    const hops: Hop[] = [];
    for (let i = 0; i <= MAX_REDIRECTS; i++) {
      const site = chain.length === 0 ? "none" : fetchSite(chain, target);
      const headers = new Headers({
        accept: "text/html,application/xhtml+xml,*/*;q=0.8",
        "sec-fetch-site": site,
        "sec-fetch-mode": "navigate",
        "sec-fetch-dest": "document",
      });
      const cookie = this.cookieHeader(target);
      if (cookie !== null) headers.set("cookie", cookie);
      if (method === "POST") {
        // A POST navigation carries its initiator's origin ("null" after a cross-origin redirect).
        headers.set("origin", chain[0]?.origin ?? "null");
        headers.set("content-type", "application/x-www-form-urlencoded");
      }
      const res = await fetch(target, { method, headers, body, redirect: "manual" });
      const setCookies = this.take(target, res);
      const location = res.headers.get("location");
      hops.push({ url: target.href, method, site, status: res.status, location, setCookies });
      if (location === null || ![301, 302, 303, 307, 308].includes(res.status)) {
        return {
          url: target.href,
          status: res.status,
          headers: res.headers,
          text: await res.text(),
          hops,
        };
      }
      await res.body?.cancel();
      chain.push(target);
      target = new URL(location, target);
      if (res.status !== 307 && res.status !== 308) {
        method = "GET";
        body = null;
      }
    }
    throw new Error(`More than ${MAX_REDIRECTS} redirects from ${url}`);
  }

  /**
   * A script's `fetch()` from a page (`Sec-Fetch-Mode: cors`, `Origin` on POST), with the
   * cookies of the target.
   *
   * @param url where to
   * @param from the page whose script fetches
   * @param init method, headers, body
   * @returns the reply (its cookies taken)
   */
  async fetch(url: string, from: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url, from);
    const headers = new Headers(init.headers);
    headers.set("sec-fetch-site", fetchSite([new URL(from)], target));
    headers.set("sec-fetch-mode", "cors");
    headers.set("sec-fetch-dest", "empty");
    const method = (init.method ?? "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") headers.set("origin", new URL(from).origin);
    const cookie = this.cookieHeader(target);
    if (cookie !== null) headers.set("cookie", cookie);
    const res = await fetch(target, { ...init, headers, redirect: "manual" });
    this.take(target, res);
    return res;
  }
}

/**
 * The value of an attribute of the element with `id` in an HTML page.
 *
 * @param html the page
 * @param id the element's id
 * @param attribute the attribute
 * @returns its value, or `null` when there is no such element or attribute
 */
export function attributeById(html: string, id: string, attribute: string): string | null {
  const tag = new RegExp(`<[a-z]+\\b[^>]*\\bid="${id}"[^>]*>`, "i").exec(html)?.[0];
  if (tag === undefined) return null;
  const value = new RegExp(`\\b${attribute}="([^"]*)"`, "i").exec(tag)?.[1];
  return value === undefined ? null : value.replaceAll("&amp;", "&");
}

/**
 * The text of the element with `id` in an HTML page (tags removed, spaces collapsed).
 *
 * @param html the page
 * @param id the element's id
 * @returns its text, or `null` when there is no such element
 */
export function textById(html: string, id: string): string | null {
  const match = new RegExp(`<([a-z]+)\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</\\1>`, "i")
    .exec(html);
  if (match === null) return null;
  return match[2]!.replace(/<[^>]*>/g, "").replace(/\s+/g, " ").trim();
}

/**
 * The first form of an HTML page: its action (resolved against `pageUrl`) and method.
 *
 * @param html the page
 * @param pageUrl the page's URL
 * @returns the form's action and method, or `null` when the page has no form
 */
export function firstForm(
  html: string,
  pageUrl: string,
): { action: string; method: string } | null {
  const tag = /<form\b[^>]*>/i.exec(html)?.[0];
  if (tag === undefined) return null;
  const action = /\baction="([^"]*)"/i.exec(tag)?.[1] ?? "";
  const method = /\bmethod="([^"]*)"/i.exec(tag)?.[1] ?? "get";
  return {
    action: new URL(action.replaceAll("&amp;", "&"), pageUrl).href,
    method: method.toUpperCase(),
  };
}
