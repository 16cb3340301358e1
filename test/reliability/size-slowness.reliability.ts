import assert from "node:assert/strict";
import { request } from "node:http";
import type { Socket } from "node:net";
import { after, describe, it } from "node:test";
import { signBody } from "../../src/core/signature.js";
import type { EventStore } from "../../src/stores/store.js";
import { eventBody, sha256, sleep } from "../helpers/events.js";
import { deliver, TEST_SECRET } from "../helpers/http.js";
import { peakRss } from "../helpers/net.js";
import { type ServeProcess, startServe } from "../helpers/serve.js";
import { storeTargets, type TestStore } from "../helpers/stores.js";
import { openSocket, whenClosed } from "./support/raw-socket.js";
import { recordResult } from "./support/results.js";

const LIMIT = 8 * 1024 * 1024;
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 3000;
const IDLE_CONNECTIONS = 300;
const DECLARED_HUGE = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

/** An event of exactly `size` bytes: a real envelope with a padding member. */
function eventOfSize(id: string, size: number): Buffer {
  const base = eventBody(id, 0).length + ',"padding":""'.length;
  const body = Buffer.from(eventBody(id, size - base), "utf8");
  assert.equal(body.byteLength, size);
  return body;
}

function post(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      agent: false,
      headers: {
        ...signBody(body, TEST_SECRET),
        "content-type": "application/json",
        "content-length": body.byteLength,
      },
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (c: Buffer) => {
        text += c.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const firstLine = (answer: string) => answer.split("\r\n")[0] || "none (closed)";

const sqlite = (await storeTargets()).find((t) => t.name === "sqlite");

describe("size and slowness against `portcall serve` (SQLite)", () => {
  let installation: TestStore | undefined;
  let server: ServeProcess | undefined;
  let store: EventStore | undefined;
  const sockets: Socket[] = [];
  const figures: string[] = [];
  let deliveries = 0;
  let acknowledged = 0;
  let found = 0;
  const idsAcknowledged: string[] = [];

  after(async () => {
    for (const s of sockets) s.destroy();
    await server?.stop("SIGKILL");
    await store?.close();
    await installation?.destroy();
  });

  it("starts with short header and request timeouts", async () => {
    if (!sqlite) throw new Error("no sqlite target");
    installation = await sqlite.create();
    server = await startServe({
      ...installation.env,
      FLEXPORT_WEBHOOK_SECRET: TEST_SECRET,
      PORTCALL_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      PORTCALL_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
    store = await installation.open();
  });

  it("an 8 MiB event → 200, stored byte-exact, with bounded memory (peak RSS recorded)", async () => {
    if (!server?.child.pid || !store) throw new Error("no server");
    const before = (await peakRss(server.child.pid)) ?? 0;
    const body = eventOfSize("9700001", LIMIT);
    const response = await post(server.webhookUrl, body);
    deliveries++;
    assert.equal(response.status, 200, response.text);
    acknowledged++;
    idsAcknowledged.push("9700001");
    const peak = (await peakRss(server.child.pid)) ?? 0;
    const row = await store.getEvent("9700001");
    assert.equal(row?.payload_sha256, sha256(body));
    assert.equal(row?.payload.length, LIMIT);
    found++;
    figures.push(
      `8 MiB event stored; server peak RSS (VmHWM) ${Math.round(before / MiB)} MiB before, ${Math.round(peak / MiB)} MiB after`,
    );
    if (peak > 0) assert.ok(peak < 512 * MiB, `peak RSS ${Math.round(peak / MiB)} MiB stays bounded`);
  });

  it("one byte over the limit → 413", async () => {
    if (!server) throw new Error("no server");
    const response = await post(server.webhookUrl, eventOfSize("9700002", LIMIT + 1));
    deliveries++;
    figures.push(`8 MiB + 1 byte streamed by a Node client: ${response.status}`);
    assert.equal(response.status, 413, response.text);
    assert.match(response.text, /payload_too_large/);
  });

  it("a declared 1 GiB body → 413 and the connection closed long before the body is sent", async () => {
    if (!server) throw new Error("no server");
    const socket = await openSocket(Number(new URL(server.url).port));
    const closed = whenClosed(socket, 15_000);
    let done = false;
    void closed.then(() => {
      done = true;
    });
    socket.write(
      "POST /webhooks/flexport HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
        `X-Hub-Signature-256: sha256=${"0".repeat(64)}\r\nContent-Length: ${DECLARED_HUGE}\r\n\r\n`,
    );
    deliveries++;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let written = 0;
    const deadline = Date.now() + 10_000;
    while (!done && written < DECLARED_HUGE && Date.now() < deadline && !socket.destroyed) {
      written += chunk.length;
      if (!socket.write(chunk)) {
        await Promise.race([new Promise((resolve) => socket.once("drain", resolve)), closed, sleep(200)]);
      }
    }
    const result = await closed;
    figures.push(
      `declared 1 GiB: 413 and connection closed after ${Math.round(written / MiB)} MiB written (${result.ms} ms)`,
    );
    assert.match(result.answer, /^HTTP\/1\.1 413/, "answered 413");
    assert.ok(result.closed, "the server closed the connection");
    assert.ok(written < 64 * MiB, `stopped reading early (${Math.round(written / MiB)} MiB of 1024 written)`);
  });

  it("a slowloris (headers trickled) is cut off by the headers timeout", async () => {
    if (!server) throw new Error("no server");
    const socket = await openSocket(Number(new URL(server.url).port));
    const closed = whenClosed(socket, 10_000);
    socket.write("POST /webhooks/flexport HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    let sent = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(`X-Trickle-${sent++}: a\r\n`);
    }, 100);
    const result = await closed;
    clearInterval(timer);
    deliveries++;
    figures.push(
      `slowloris cut after ${result.ms} ms, answer ${firstLine(result.answer)} (headers timeout ${HEADERS_TIMEOUT_MS} ms)`,
    );
    assert.ok(result.closed, "the connection was closed");
    assert.ok(result.ms < HEADERS_TIMEOUT_MS + 2500, `cut within the headers timeout (${result.ms} ms)`);
  });

  it("a slow body is cut off by the request timeout", async () => {
    if (!server) throw new Error("no server");
    const socket = await openSocket(Number(new URL(server.url).port));
    const closed = whenClosed(socket, 12_000);
    const body = Buffer.from(eventBody("9700003"), "utf8");
    const signature = signBody(body, TEST_SECRET)["x-hub-signature-256"];
    socket.write(
      "POST /webhooks/flexport HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
        `X-Hub-Signature-256: ${signature}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    let at = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed && at < body.length) socket.write(body.subarray(at, ++at));
    }, 100);
    const result = await closed;
    clearInterval(timer);
    deliveries++;
    figures.push(
      `slow body cut after ${result.ms} ms, answer ${firstLine(result.answer)} (request timeout ${REQUEST_TIMEOUT_MS} ms)`,
    );
    assert.ok(result.closed, "the connection was closed");
    assert.ok(!result.answer.startsWith("HTTP/1.1 200"), "the slow body was not acknowledged");
    assert.ok(result.ms < REQUEST_TIMEOUT_MS + 2500, `cut within the request timeout (${result.ms} ms)`);
    assert.equal(await store?.getEvent("9700003"), undefined, "nothing half-received is stored");
  });

  it(`${IDLE_CONNECTIONS} idle keep-alive connections do not stop service to others`, async () => {
    if (!server || !store) throw new Error("no server");
    const port = Number(new URL(server.url).port);
    for (let i = 0; i < IDLE_CONNECTIONS; i++) {
      const socket = await openSocket(port);
      sockets.push(socket);
      const answered = new Promise<void>((resolve) => socket.once("data", () => resolve()));
      socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
      await answered;
    }
    const started = Date.now();
    let slowest = 0;
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const id = String(9_710_000 + i);
        const t = Date.now();
        const response = await deliver(server?.webhookUrl ?? "", eventBody(id));
        slowest = Math.max(slowest, Date.now() - t);
        return { id, status: response.status };
      }),
    );
    deliveries += results.length;
    const open = sockets.filter((s) => !s.destroyed).length;
    for (const r of results) {
      if (r.status === 200) {
        acknowledged++;
        idsAcknowledged.push(r.id);
        if ((await store.getEvent(r.id))?.payload === eventBody(r.id)) found++;
      }
    }
    figures.push(
      `${open} idle keep-alive connections held open; 50 deliveries beside them all 200 in ${Date.now() - started} ms (slowest ${slowest} ms)`,
    );
    assert.equal(open, IDLE_CONNECTIONS, "the idle connections are still open");
    assert.deepEqual(
      results.map((r) => r.status),
      results.map(() => 200),
    );
    assert.ok(slowest < 5000, `served promptly (slowest ${slowest} ms)`);
  });

  it("the receiver is still alive and the figures are recorded", async () => {
    if (!server) throw new Error("no server");
    assert.equal(server.child.exitCode, null, "the receiver did not crash");
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    recordResult({
      case: "size and slowness",
      store: "sqlite",
      done: `\`portcall serve\` with PORTCALL_HEADERS_TIMEOUT_MS=${HEADERS_TIMEOUT_MS}, PORTCALL_REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS}: an 8 MiB event, 8 MiB + 1 byte, a declared 1 GiB body, a slowloris, a slow body, ${IDLE_CONNECTIONS} idle keep-alive connections`,
      deliveries,
      acknowledged,
      found,
      lost: acknowledged - found,
      duplicated: 0,
      crashes: server.child.exitCode === null ? 0 : 1,
      notes: figures.join("; "),
    });
  });
});
