import { createServer } from "node:http";

/**
 * The ceiling: node:http reading the whole body and answering 200, nothing else. No
 * webhook receiver on this stack can be faster, so portcall is reported as a share of it.
 */
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? "127.0.0.1";
const answer = Buffer.from('{"status":"ok"}');

const server = createServer((req, res) => {
  req.on("data", () => undefined);
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": answer.length });
    res.end(answer);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(port, host, () => process.stdout.write(`listening ${JSON.stringify(server.address())}\n`));
process.once("SIGTERM", () => server.close(() => process.exit(0)));
process.once("SIGINT", () => server.close(() => process.exit(0)));
