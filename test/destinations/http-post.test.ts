import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after, test } from "node:test";
import { DestinationError } from "../../src/destinations/destination.js";
import { postOrFail } from "../../src/destinations/http-post.js";

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.closeAllConnections();
  return Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** A local HTTP server; `handle` answers each request with its body read. */
async function serve(
  handle: (req: IncomingMessage, body: string, res: ServerResponse, n: number) => void,
): Promise<string> {
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, Buffer.concat(chunks).toString("utf8"), res, ++n));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("a 2xx → resolves; the body, JSON content type, user agent and given headers arrive", async () => {
  const seen: { body: string; headers: IncomingMessage["headers"] }[] = [];
  const base = await serve((req, body, res) => {
    seen.push({ body, headers: req.headers });
    res.writeHead(204).end();
  });
  await postOrFail(`${base}/hook?token=secret-token`, '{"a":"é"}', { "webhook-id": "pc_1" }, 5000);
  assert.equal(seen[0]?.body, '{"a":"é"}');
  assert.equal(seen[0]?.headers["content-type"], "application/json");
  assert.equal(seen[0]?.headers["user-agent"], "portcall");
  assert.equal(seen[0]?.headers["webhook-id"], "pc_1");
  assert.equal(seen[0]?.headers["content-length"], String(Buffer.byteLength('{"a":"é"}')));
});

test("a refusal → DestinationError with the status and a folded excerpt, never the URL's path or query", async () => {
  const base = await serve((_req, _body, res) => {
    res.writeHead(503).end(`busy\n\n   now ${"x".repeat(5000)}`);
  });
  await assert.rejects(
    postOrFail(`${base}/services/secret-token?k=secret-token`, "{}", {}, 5000),
    (error) => {
      assert.ok(error instanceof DestinationError);
      assert.equal(error.code, 503);
      assert.match(error.message, /^POST http:\/\/127\.0\.0\.1:\d+ answered 503: busy now x+$/);
      assert.ok(error.message.length < 200);
      assert.ok(!error.message.includes("secret-token"));
      return true;
    },
  );
});

test("a redirect → not followed: a DestinationError with the status, saying so", async () => {
  const base = await serve((_req, _body, res) => {
    res.writeHead(308, { location: "https://elsewhere.example/hook" }).end();
  });
  await assert.rejects(postOrFail(`${base}/old`, "{}", {}, 5000), (error) => {
    assert.ok(error instanceof DestinationError);
    assert.equal(error.code, 308);
    assert.match(error.message, /answered 308 \(redirects are not followed/);
    return true;
  });
});

test("no answer → fails after the timeout, naming it", async () => {
  const base = await serve(() => undefined);
  const started = Date.now();
  await assert.rejects(postOrFail(`${base}/slow`, "{}", {}, 150), /failed: no answer within 150 ms/);
  assert.ok(Date.now() - started < 2000);
});

test("nothing listening → fails with the connection error's code", async () => {
  const base = await serve(() => undefined);
  const server = servers.pop();
  await new Promise((r) => server?.close(r));
  await assert.rejects(
    postOrFail(`${base}/gone`, "{}", {}, 2000),
    /^DestinationError: POST http:\/\/127\.0\.0\.1:\d+ failed: ECONNREFUSED$/,
  );
});

test("a kept-alive socket the server dropped → tried once more on a new one", async () => {
  const sockets = new Set<Socket>();
  const base = await serve((req, _body, res, n) => {
    sockets.add(req.socket);
    // The second request arrives on the first one's socket: drop it without an answer.
    if (n === 2) req.socket.destroy();
    else res.writeHead(200).end("ok");
  });
  await postOrFail(`${base}/a`, "{}", {}, 5000);
  await postOrFail(`${base}/b`, "{}", {}, 5000);
  assert.equal(sockets.size, 2, "the retry used a new connection");
});

test("a URL that is not http(s), or not a URL → a clear DestinationError", async () => {
  await assert.rejects(postOrFail("ftp://example.test/x", "{}", {}, 1000), /only http and https URLs/);
  await assert.rejects(postOrFail("not a url", "{}", {}, 1000), /not a valid URL/);
});
