import { createHmac, timingSafeEqual } from "node:crypto";
import Database from "better-sqlite3";
import express from "express";

/**
 * The naive peer: what most webhook tutorials ship. Express with express.raw(), an HMAC
 * check, then one SQLite transaction per request with synchronous=FULL, so every 200 waits
 * for its own fsync. It is as durable as portcall; the difference is the absent group commit.
 */
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? "127.0.0.1";
const secret = process.env.FLEXPORT_WEBHOOK_SECRET;
const file = process.env.BENCH_DB;
if (!secret || !file) throw new Error("FLEXPORT_WEBHOOK_SECRET and BENCH_DB must be set");

const db = new Database(file);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = FULL");
db.exec(`CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, payload TEXT NOT NULL, received_at TEXT NOT NULL)`);
const insert = db.prepare(
  "INSERT OR IGNORE INTO events (id, type, payload, received_at) VALUES (?, ?, ?, ?)",
);
const store = db.transaction((id: string, type: string, payload: string) => {
  return insert.run(id, type, payload, new Date().toISOString()).changes;
});

const app = express();
app.get("/readyz", (_req, res) => {
  res.json({ status: "ok" });
});
app.post("/webhooks/flexport", express.raw({ type: "*/*", limit: "10mb" }), (req, res) => {
  const body = req.body as Buffer;
  const header = req.get("x-hub-signature-256") ?? "";
  const expected = createHmac("sha256", secret).update(body).digest();
  const received = Buffer.from(header.replace(/^sha256=/, ""), "hex");
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
    res.status(401).json({ error: "bad signature" });
    return;
  }
  const event = JSON.parse(body.toString("utf8")) as { id: unknown; type: unknown };
  const id = String(event.id);
  const changes = store(id, String(event.type), body.toString("utf8"));
  res.json({ status: changes === 1 ? "stored" : "duplicate", id });
});

const server = app.listen(port, host, () =>
  process.stdout.write(`listening ${JSON.stringify(server.address())}\n`),
);
server.keepAliveTimeout = 72_000;
const stop = () => server.close(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
