// The standalone emulator's node:http adapter (src/emulator/_node_http.ts): a fetch handler
// served over a real socket, under whichever runtime runs the suite (node:http is there on
// Deno and Bun as on Node).
import { test } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { ListenError, listenNode } from "../src/emulator/_node_http.ts";
import { serve } from "./_serve.ts";

test("listenNode() passes the method, URL, headers and body to the handler", async () => {
  let seen: { method: string; url: string; type: string | null; body: string } | undefined;
  const server = await listenNode(async (req) => {
    seen = {
      method: req.method,
      url: req.url,
      type: req.headers.get("content-type"),
      body: await req.text(),
    };
    return Response.json({ ok: true }, { status: 201 });
  }, { port: 0, hostname: "127.0.0.1" });
  try {
    const res = await fetch(`${server.url}/rbac/role?org_id=o&x=%20y`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "é" }),
    });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { ok: true });
    assert.deepEqual(seen, {
      method: "POST",
      url: `${server.url}/rbac/role?org_id=o&x=%20y`,
      type: "application/json",
      body: '{"name":"é"}',
    });
  } finally {
    await server.close();
  }
});

test("listenNode() keeps its own origin whatever Host a caller sends", async () => {
  let url = "";
  const server = await listenNode((req) => {
    url = req.url;
    return new Response("ok");
  }, { port: 0, hostname: "127.0.0.1" });
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        host: "127.0.0.1",
        port: server.port,
        path: "/x",
        headers: { host: "evil.example:1" },
      }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(status, 200);
    assert.equal(url, `${server.url}/x`);
  } finally {
    await server.close();
  }
});

test("listenNode() streams the response: the first chunk arrives before the body ends", async () => {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = await listenNode(() =>
    new Response(
      new ReadableStream({
        async start(ctrl) {
          ctrl.enqueue(new TextEncoder().encode("first,"));
          await released;
          ctrl.enqueue(new TextEncoder().encode("second"));
          ctrl.close();
        },
      }),
      { headers: { "content-type": "text/plain" } },
    ), { port: 0, hostname: "127.0.0.1" });
  try {
    const res = await fetch(server.url);
    const reader = res.body!.getReader();
    const first = await reader.read();
    // The handler is still waiting: this chunk was streamed, not buffered.
    assert.equal(new TextDecoder().decode(first.value), "first,");
    release();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      rest += new TextDecoder().decode(r.value);
    }
    assert.equal(rest, "second");
  } finally {
    release();
    await server.close();
  }
});

test("listenNode() sends each Set-Cookie apart, and no body for HEAD", async () => {
  const server = await listenNode(() => {
    const headers = new Headers({ "x-one": "1" });
    headers.append("set-cookie", "a=1; Path=/");
    headers.append("set-cookie", "b=2; Path=/");
    return new Response("body", { headers });
  }, { port: 0, hostname: "127.0.0.1" });
  try {
    const res = await fetch(server.url);
    assert.deepEqual(res.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/"]);
    assert.equal(res.headers.get("x-one"), "1");
    assert.equal(await res.text(), "body");
    const head = await fetch(server.url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  } finally {
    await server.close();
  }
});

test("listenNode() answers 413 to a body over the limit, without calling the handler", async () => {
  let calls = 0;
  const server = await listenNode(() => {
    calls++;
    return new Response("ok");
  }, { port: 0, hostname: "127.0.0.1", maxBodyBytes: 1024 });
  try {
    const res = await fetch(server.url, { method: "POST", body: "x".repeat(4096) });
    assert.equal(res.status, 413);
    assert.deepEqual(await res.json(), { detail: "Body too large" });
    assert.equal(calls, 0);
  } finally {
    await server.close();
  }
});

test("listenNode() drops the connection when the body fails half-way", async () => {
  const server = await listenNode(() =>
    new Response(
      new ReadableStream({
        pull(ctrl) {
          ctrl.enqueue(new TextEncoder().encode('{"detail": '));
          ctrl.error(new Error("boom"));
        },
      }),
    ), { port: 0, hostname: "127.0.0.1" });
  try {
    // A network error either way: at fetch() if nothing got out yet, else reading the body.
    await assert.rejects(async () => await (await fetch(server.url)).text());
    // The server lives on: the next request is answered.
    await assert.rejects(async () => await (await fetch(server.url)).text());
  } finally {
    await server.close();
  }
});

test("listenNode() answers 500 with a JSON detail, never a stack, when the handler throws", async () => {
  const server = await listenNode(() => {
    throw new Error("secret stack detail");
  }, { port: 0, hostname: "127.0.0.1" });
  try {
    const res = await fetch(server.url);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { detail: "Internal error" });
  } finally {
    await server.close();
  }
});

test("listenNode() rejects with ListenError EADDRINUSE on a busy port", async () => {
  const holder = await serve(() => new Response("taken"));
  try {
    await assert.rejects(
      listenNode(() => new Response("ok"), { port: holder.port, hostname: "127.0.0.1" }),
      (err: unknown) => err instanceof ListenError && err.code === "EADDRINUSE",
    );
  } finally {
    await holder.close();
  }
});
