import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { peerSetup } from "./peer-setup.js";

/**
 * The minimal peer: the cheapest server that does a receiver's essential work. node:http,
 * HMAC-SHA256 on the raw bytes, JSON.parse, a queue, and one better-sqlite3 transaction per
 * event-loop turn on the main thread (WAL, synchronous=FULL), answering after the commit.
 * It is the yardstick for portcall's CPU per delivery: everything portcall spends beyond it
 * is framework, bookkeeping or hand-off.
 */
const { port, host, secret, db, insert } = peerSetup();

type Pending = { id: string; type: string; payload: string; res: ServerResponse };
let queue: Pending[] = [];
const commit = db.transaction((batch: Pending[], at: string) =>
  batch.map((p) => insert.run(p.id, p.type, p.payload, at).changes),
);
function flush(): void {
  const batch = queue;
  queue = [];
  const changes = commit(batch, new Date().toISOString());
  for (const [i, p] of batch.entries())
    answer(p.res, 200, { status: changes[i] === 1 ? "stored" : "duplicate", id: p.id });
}
function answer(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    if (req.url === "/readyz") return answer(res, 200, { status: "ok" });
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    const header = String(req.headers["x-hub-signature-256"] ?? "");
    const expected = createHmac("sha256", secret).update(body).digest();
    const received = Buffer.from(header.replace(/^sha256=/, ""), "hex");
    if (received.length !== expected.length || !timingSafeEqual(received, expected))
      return answer(res, 401, { error: "bad signature" });
    const payload = body.toString("utf8");
    const event = JSON.parse(payload) as { id: unknown; type: unknown };
    if (queue.length === 0) setImmediate(flush);
    queue.push({ id: String(event.id), type: String(event.type), payload, res });
  });
});
server.keepAliveTimeout = 72_000;
server.listen(port, host, () => process.stdout.write(`listening ${JSON.stringify(server.address())}\n`));
const stop = () => server.close(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
