import { createHmac, timingSafeEqual } from "node:crypto";
import express from "express";
import { peerSetup } from "./peer-setup.js";

/**
 * The naive peer: what most webhook tutorials ship. Express with express.raw(), an HMAC
 * check, then one SQLite transaction per request with synchronous=FULL, so every 200 waits
 * for its own fsync. It is as durable as portcall; the difference is the absent group commit.
 */
const { port, host, secret, db, insert } = peerSetup();
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
