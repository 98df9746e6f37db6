/**
 * Test fixture of the gateway suites: the emulator on a loopback socket, a
 * client pointed at it (with a token cache), the gateway in front, a shared
 * clock, and a small cookie jar.
 *
 * @module
 */
import { AuthLiteClient, type KVStore, memoryStore } from "../mod.ts";
import { createEmulator, DEMO_ORG, type Emulator } from "../src/emulator/mod.ts";
import { createGateway, type GatewayOptions } from "../src/gateway/mod.ts";
import type { AppType } from "../src/gateway/mod.ts";
import { serve, type TestServer } from "./_serve.ts";

/** The service key of the fixture. */
export const SERVICE_KEY = "svc-key-0123456789abcdef-test";
/** The admin key of the fixture. */
export const ADMIN_KEY = "adm-key-0123456789abcdef-test";
/** The session secret of the fixture. */
export const SESSION_SECRET = "session-secret-0123456789abcdef-0123456789";

/** A store that counts its calls. */
export interface CountingStore extends KVStore {
  /** Calls by method. */
  calls: { get: number; put: number; delete: number };
}

/** A running fixture. */
export interface GatewayFixture {
  /** The emulator. */
  emu: Emulator;
  /** The emulator's server. */
  server: TestServer;
  /** The client the gateway wraps. */
  client: AuthLiteClient;
  /** The token cache's store. */
  store: CountingStore;
  /** The gateway. */
  app: AppType;
  /** Move the clocks (emulator, client, store) forward. */
  advance(seconds: number): void;
  /** Stop the emulator's server. */
  close(): Promise<void>;
}

/**
 * Start the emulator and a gateway in front of it.
 *
 * @param options gateway options to override
 * @returns the fixture
 */
export async function startGateway(
  options: Partial<GatewayOptions> = {},
): Promise<GatewayFixture> {
  let offset = 0;
  const now = () => Date.now() + offset;
  const emu = createEmulator({ control: true });
  const server = await serve(emu.fetch);
  const inner = memoryStore({ now });
  const calls = { get: 0, put: 0, delete: 0 };
  const store: CountingStore = {
    calls,
    get: (k) => (calls.get++, inner.get(k)),
    put: (k, v, o) => (calls.put++, inner.put(k, v, o)),
    delete: (k) => (calls.delete++, inner.delete(k)),
  };
  const client = new AuthLiteClient({
    apiKey: DEMO_ORG.apiKey,
    secretKey: DEMO_ORG.secretKey,
    orgId: DEMO_ORG.orgId,
    baseUrl: server.url,
    widgetUrl: server.url,
    tokenCache: store,
    retries: 0,
    timeoutMs: 5000,
    now,
  });
  const app = createGateway({
    client,
    sessionSecret: SESSION_SECRET,
    serviceKey: SERVICE_KEY,
    adminKey: ADMIN_KEY,
    redact: [DEMO_ORG.apiKey, DEMO_ORG.secretKey],
    ...options,
  });
  return {
    emu,
    server,
    client,
    store,
    app,
    advance(seconds) {
      offset += seconds * 1000;
      emu.advanceClock(seconds);
    },
    close: () => server.close(),
  };
}

/** A cookie jar for `app.request`. */
export class CookieJar {
  #cookies = new Map<string, string>();

  /**
   * Take the `Set-Cookie` headers of a response.
   *
   * @param res the response
   * @returns the names set or cleared
   */
  take(res: Response): string[] {
    const names: string[] = [];
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      names.push(name);
      if (value === "" || /max-age=0/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return names;
  }

  /** The value of a cookie, if set. */
  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** The `Cookie` header of the jar. */
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/**
 * Sign a browser in through the gateway's own login flow (the login mark,
 * then the callback with a code the emulator minted).
 *
 * @param fx the fixture
 * @param email the user's e-mail
 * @returns the browser's cookies
 */
export async function signIn(fx: GatewayFixture, email: string): Promise<CookieJar> {
  const jar = new CookieJar();
  jar.take(await fx.app.request("http://gw.test/auth/login"));
  const code = fx.emu.mintCode({ email });
  const cb = await fx.app.request(`http://gw.test/auth/callback?code=${code}`, {
    headers: { cookie: jar.header() },
  });
  if (cb.status !== 302) throw new Error(`Sign-in failed: ${cb.status} ${await cb.text()}`);
  jar.take(cb);
  return jar;
}

/** What a client sees of a reply, to compare two: its status, headers (but `Date`) and body. */
export interface SeenReply {
  status: number;
  headers: [string, string][];
  body: string;
}

/**
 * What a client sees of a reply.
 *
 * @param res the reply
 * @returns its status, headers (but `Date`) and body
 */
export async function seenReply(res: Response): Promise<SeenReply> {
  return {
    status: res.status,
    headers: [...res.headers].filter(([k]) => k !== "date"),
    body: await res.text(),
  };
}
