import { Hono } from "hono";
import { serve } from "../tests/_serve.ts";
const obj = { user: { uid: "u", email: "bench@example.com", name: null, img: null, roles: [] }, session: { refreshed: false } };
const a = new Hono().get("/", (c) => c.json(obj));
const b = new Hono().use(async (c, next) => { await next(); c.res.headers.set("cache-control", "no-store"); c.res.headers.set("x-content-type-options", "nosniff"); }).get("/", (c) => c.json(obj));
const d = new Hono().get("/", (c) => c.json(obj, 200, { "cache-control": "no-store", "x-content-type-options": "nosniff" }));
const f = new Hono().get("/", (c) => c.json(obj, 200, { "cache-control": "no-store" }));
const h = new Hono().use((c, next) => { c.header("cache-control", "no-store"); c.header("x-content-type-options", "nosniff"); return next(); }).get("/", (c) => c.json(obj));
const e = new Hono().get("/", () => new Response(JSON.stringify(obj), { headers: { "content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff" } }));
const s = await Promise.all([a, b, d, e, f, h].map((x) => serve(x.fetch)));
console.log(JSON.stringify(s.map((x) => x.url)));
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
for await (const _ of (g.Deno ? g.Deno.stdin.readable : g.Bun.stdin.stream())) { /* */ }
g.Deno ? g.Deno.exit(0) : g.process.exit(0);
