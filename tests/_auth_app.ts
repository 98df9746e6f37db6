/**
 * Test fixture of the `authRoutes()` suites: a user's own Hono app (built by
 * the test) served on a loopback socket, the emulator on another with its
 * login callback pointing at the app's `/auth/callback`, a client with a token
 * cache and a shared clock, and a browser that follows redirects with a
 * cookie jar per host.
 *
 * @module
 */
import { AuthLiteClient, memoryStore } from "../mod.ts";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { serve, type TestServer } from "./_serve.ts";

/** The session secret of the fixture. */
export const SECRET = "an-app-session-secret-0123456789-abcdef";

/** A running app and emulator. */
export interface AuthApp {
  emu: Emulator;
  upstream: TestServer;
  app: TestServer;
  client: AuthLiteClient;
  /** The clock the client (and the app's options) use. */
  now: () => number;
  /** Move the clocks (emulator, client, store) forward. */
  advance(seconds: number): void;
  close(): Promise<void>;
}

/**
 * Start the emulator and the app the test builds.
 *
 * @param build the app, given the client and the clock
 * @param prefix where the app mounts `authRoutes()` (the emulator's callback follows it)
 * @returns the fixture
 */
export async function startAuthApp(
  build: (
    client: AuthLiteClient,
    now: () => number,
  ) => { fetch(req: Request): Response | Promise<Response> },
  prefix = "/auth",
): Promise<AuthApp> {
  let offset = 0;
  const now = () => Date.now() + offset;
  let handler: (req: Request) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });
  const app = await serve((req) => handler(req));
  const emu = createEmulator({
    control: true,
    orgs: [{ ...DEMO_ORG, callbackUrl: `${app.url}${prefix}/callback` }],
  });
  const upstream = await serve(emu.fetch);
  const client = new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: upstream.url,
    widgetUrl: upstream.url,
    tokenCache: memoryStore({ now }),
    retries: 0,
    timeoutMs: 5000,
    now,
  });
  const hono = build(client, now);
  handler = (req) => hono.fetch(req);
  return {
    emu,
    upstream,
    app,
    client,
    now,
    advance(seconds) {
      offset += seconds * 1000;
      emu.advanceClock(seconds);
    },
    close: async () => {
      await app.close();
      await upstream.close();
    },
  };
}

/** Navigation headers of a browser. */
export const NAVIGATE = { accept: "text/html,application/xhtml+xml", "sec-fetch-mode": "navigate" };

/** A browser: a cookie jar per host, redirects followed by hand. */
export class Browser {
  #jars = new Map<string, Map<string, string>>();
  /** The URLs visited, in order. */
  visited: string[] = [];

  /** The cookies of a host (`127.0.0.1:port`). */
  cookies(url: string): Map<string, string> {
    const host = new URL(url).host;
    const jar = this.#jars.get(host) ?? new Map<string, string>();
    this.#jars.set(host, jar);
    return jar;
  }

  /** The `Cookie` header the browser would send to `url`. */
  cookieHeader(url: string): string {
    return [...this.cookies(url)].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** Send one request with the jar's cookies, and keep what it sets. */
  async send(url: string, init: RequestInit = {}): Promise<Response> {
    this.visited.push(url);
    const jar = this.cookies(url);
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", this.cookieHeader(url));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === "" || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  /** Navigate to `url`, following redirects (a 302 or 303 continues with a GET). */
  async go(url: string, init: RequestInit = {}): Promise<Response> {
    let target = url;
    let request: RequestInit = { ...init, headers: { ...NAVIGATE, ...(init.headers ?? {}) } };
    for (let hops = 0; hops < 10; hops++) {
      const res = await this.send(target, request);
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || location === null) return res;
      await res.body?.cancel();
      target = new URL(location, target).href;
      request = { headers: NAVIGATE };
    }
    throw new Error(`Too many redirects from ${url}`);
  }
}
