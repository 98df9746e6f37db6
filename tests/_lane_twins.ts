/**
 * Test helper of the hot lane's rate-limit suites: a gateway in front of the
 * emulator and a twin built alike on the same client, the first reached
 * through its `fetch` (the lane in front), the twin through Hono's dispatch
 * alone (`honoFetchOf`), each with its own telemetry.
 *
 * @module
 */
import { DEMO_ORG } from "../src/emulator/mod.ts";
import {
  createGateway,
  createTelemetry,
  type GatewayOptions,
  type LogRecord,
} from "../src/gateway/mod.ts";
import { honoFetchOf } from "../src/gateway/_lane.ts";
import {
  ADMIN_KEY,
  type GatewayFixture,
  type SeenReply,
  seenReply,
  SERVICE_KEY,
  SESSION_SECRET,
  startGateway,
} from "./_gateway_fixture.ts";

/** A fetch handler with the env a server passes. */
export type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;

/** One way in: its fetch, and what its telemetry saw. */
export interface Side {
  name: string;
  fetch: Fetch;
  records: LogRecord[];
  /** Requests its rate limits refused so far. */
  refused: () => number;
}

/** A gateway in front of the emulator, and a twin built alike on the same client. */
export interface Twins {
  fx: GatewayFixture;
  /** The first gateway's `fetch`: the lane in front. */
  lane: Side;
  /** The twin's Hono dispatch alone. */
  hono: Side;
  /** Both, lane first. */
  sides: [Side, Side];
}

/**
 * Build the twins.
 *
 * @param options the gateway options of both
 * @returns the twins
 */
export async function twins(options: Partial<GatewayOptions>): Promise<Twins> {
  const side = () => {
    const records: LogRecord[] = [];
    const telemetry = createTelemetry({ logger: (r) => records.push(r), logIntervalMs: 0 });
    return { records, telemetry };
  };
  const l = side();
  const h = side();
  const fx = await startGateway({ ...options, telemetry: l.telemetry });
  const twin = createGateway({
    client: fx.client,
    sessionSecret: SESSION_SECRET,
    serviceKey: SERVICE_KEY,
    adminKey: ADMIN_KEY,
    redact: [DEMO_ORG.apiKey, DEMO_ORG.secretKey],
    ...options,
    telemetry: h.telemetry,
  });
  const hono = honoFetchOf(twin);
  const lane: Side = {
    name: "lane",
    records: l.records,
    fetch: (r, env) => fx.app.fetch(r, env as never),
    refused: () => l.telemetry.status().total.rateLimited,
  };
  const honoSide: Side = {
    name: "hono",
    records: h.records,
    fetch: (r, env) => hono(r, env as object | undefined),
    refused: () => h.telemetry.status().total.rateLimited,
  };
  return { fx, lane, hono: honoSide, sides: [lane, honoSide] };
}

/**
 * The same requests, in order, through one side: what a client sees of each
 * reply (`/admin/status`'s start time left out: twins start a moment apart).
 *
 * @param side the side
 * @param calls the requests, each built afresh
 * @param env the env the server passes
 * @returns the replies
 */
export async function runSide(
  side: Side,
  calls: (() => Request)[],
  env?: unknown,
): Promise<SeenReply[]> {
  const out = [];
  for (const make of calls) {
    const reply = await seenReply(await side.fetch(make(), env));
    reply.body = reply.body.replace(/"since":"[^"]*"/, '"since":"(start)"');
    out.push(reply);
  }
  return out;
}
