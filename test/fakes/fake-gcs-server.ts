import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the parts of the Cloud Storage JSON API portcall uses, so the real
 * @google-cloud/storage client can be tested without a cloud: single-request uploads
 * (multipart and media) with generation preconditions, objects.get (resource and
 * alt=media), objects.list (prefix, startOffset, endOffset, maxResults, pageToken) and
 * objects.delete. Paths are served with and without the /storage/v1 root, because the
 * client drops it when STORAGE_EMULATOR_HOST is set. It records every request and every
 * upload attempt as it arrived on the wire.
 * https://cloud.google.com/storage/docs/json_api/v1/objects
 */
export interface FakeGcsServer {
  /** Base URL, for the client's apiEndpoint or STORAGE_EMULATOR_HOST. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly uploads: RecordedUpload[];
  /** Stored objects by `<bucket>/<name>`. */
  readonly objects: Map<string, FakeObject>;
  /** Answers the next `count` requests with `status` (to test retries). */
  failNext(count: number, status?: number): void;
  /** Buckets that do not exist: listing one answers 404, as Cloud Storage does. */
  readonly missingBuckets: Set<string>;
  close(): Promise<void>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
}

export interface RecordedUpload {
  readonly bucket: string;
  readonly name: string;
  readonly uploadType: string;
  readonly bytes: Buffer;
  readonly contentType: string | undefined;
  readonly metadata: Record<string, string> | undefined;
  readonly ifGenerationMatch: string | undefined;
  /** The status the fake answered. */
  readonly status: number;
}

export interface FakeObject {
  readonly bucket: string;
  readonly name: string;
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly metadata: Record<string, string> | undefined;
  readonly generation: string;
  readonly created: string;
}

export async function startFakeGcsServer(): Promise<FakeGcsServer> {
  const requests: RecordedRequest[] = [];
  const uploads: RecordedUpload[] = [];
  const objects = new Map<string, FakeObject>();
  const missingBuckets = new Set<string>();
  let generation = 1_700_000_000_000_000;
  let failures = { count: 0, status: 503 };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? "GET";
    requests.push({ method, path: url.pathname, query });
    const body = await readBody(req);
    if (failures.count > 0) {
      failures.count -= 1;
      return sendError(res, failures.status, "injected failure");
    }

    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (upload?.[1] !== undefined && method === "POST") {
      return handleUpload(decodeURIComponent(upload[1]), query, req, body, res);
    }
    const path = url.pathname.replace(/^\/storage\/v1(?=\/)/, "");
    const list = /^\/b\/([^/]+)\/o$/.exec(path);
    if (list?.[1] !== undefined && method === "GET")
      return handleList(decodeURIComponent(list[1]), query, res);
    const object = /^\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (object?.[1] !== undefined && object[2] !== undefined) {
      const key = `${decodeURIComponent(object[1])}/${decodeURIComponent(object[2])}`;
      const found = objects.get(key);
      if (found === undefined) return sendError(res, 404, `No such object: ${key}`);
      if (method === "DELETE") {
        objects.delete(key);
        res.writeHead(204).end();
        return;
      }
      if (method === "GET" && query.alt === "media") {
        res.writeHead(200, {
          "content-type": found.contentType,
          "content-length": found.bytes.length,
          "x-goog-hash": `crc32c=${crc32c(found.bytes)},md5=${md5(found.bytes)}`,
          "x-goog-generation": found.generation,
          "x-goog-stored-content-encoding": "identity",
        });
        res.end(found.bytes);
        return;
      }
      if (method === "GET") return sendJson(res, 200, resource(found));
    }
    sendError(res, 501, `fake-gcs-server does not implement ${method} ${url.pathname}`);
  }

  function handleUpload(
    bucket: string,
    query: Record<string, string>,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): undefined {
    const uploadType = query.uploadType ?? "";
    let name = query.name;
    let bytes = body;
    let contentType = req.headers["content-type"];
    let metadata: Record<string, string> | undefined;
    if (uploadType === "multipart") {
      const parts = parseMultipart(body, req.headers["content-type"] ?? "");
      const head = parts[0];
      const media = parts[1];
      if (head === undefined || media === undefined)
        return sendError(res, 400, "multipart upload needs 2 parts");
      const json = JSON.parse(head.body.toString("utf8")) as {
        name?: string;
        contentType?: string;
        metadata?: Record<string, string>;
      };
      name = json.name ?? name;
      contentType = json.contentType ?? media.headers["content-type"];
      metadata = json.metadata;
      bytes = media.body;
    } else if (uploadType !== "media") {
      return sendError(res, 501, `fake-gcs-server does not implement uploadType=${uploadType}`);
    }
    const ifGenerationMatch = query.ifGenerationMatch;
    const record = (status: number) =>
      uploads.push({
        bucket,
        name: name ?? "",
        uploadType,
        bytes,
        contentType,
        metadata,
        ifGenerationMatch,
        status,
      });
    if (name === undefined || name === "") {
      record(400);
      return sendError(res, 400, "object name required");
    }
    const key = `${bucket}/${name}`;
    const existing = objects.get(key);
    if (ifGenerationMatch !== undefined && ifGenerationMatch !== (existing?.generation ?? "0")) {
      record(412);
      return sendError(
        res,
        412,
        "At least one of the pre-conditions you specified did not hold.",
        "conditionNotMet",
      );
    }
    generation += 1;
    const stored: FakeObject = {
      bucket,
      name,
      bytes,
      contentType: contentType ?? "application/octet-stream",
      metadata,
      generation: String(generation),
      created: new Date().toISOString(),
    };
    objects.set(key, stored);
    record(200);
    sendJson(res, 200, resource(stored));
  }

  function handleList(bucket: string, query: Record<string, string>, res: ServerResponse): void {
    if (missingBuckets.has(bucket)) {
      sendError(res, 404, "The specified bucket does not exist.", "notFound");
      return;
    }
    const prefix = query.prefix ?? "";
    const names = [...objects.values()]
      .filter((o) => o.bucket === bucket && o.name.startsWith(prefix))
      .filter((o) => query.startOffset === undefined || compareNames(o.name, query.startOffset) >= 0)
      .filter((o) => query.endOffset === undefined || compareNames(o.name, query.endOffset) < 0)
      .filter((o) => query.pageToken === undefined || compareNames(o.name, query.pageToken) > 0)
      .sort((a, b) => compareNames(a.name, b.name));
    const max = Math.min(Number(query.maxResults ?? 1000) || 1000, 1000);
    const page = names.slice(0, max);
    const last = page.at(-1);
    sendJson(res, 200, {
      kind: "storage#objects",
      items: page.map(resource),
      ...(names.length > max && last !== undefined ? { nextPageToken: last.name } : {}),
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, 500, String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    uploads,
    objects,
    missingBuckets,
    failNext(count, status = 503) {
      failures = { count, status };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function resource(o: FakeObject): Record<string, unknown> {
  return {
    kind: "storage#object",
    id: `${o.bucket}/${o.name}/${o.generation}`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation,
    metageneration: "1",
    contentType: o.contentType,
    size: String(o.bytes.length),
    md5Hash: md5(o.bytes),
    crc32c: crc32c(o.bytes),
    timeCreated: o.created,
    updated: o.created,
    ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
  };
}

/** Cloud Storage orders names by their UTF-8 bytes. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

interface Part {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** multipart/related (RFC 2387), byte-exact: the media part is never decoded as text. */
function parseMultipart(body: Buffer, contentType: string): Part[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (boundary === undefined) return [];
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const from = start + delimiter.length;
    if (body.subarray(from, from + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, from);
    if (next === -1) break;
    // Each part: CRLF, headers, CRLF CRLF, body, CRLF before the next delimiter.
    const raw = body.subarray(from + 2, next - 2);
    const split = raw.indexOf("\r\n\r\n");
    const headers: Record<string, string> = {};
    for (const line of raw.subarray(0, split).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: raw.subarray(split + 4) });
    start = next;
  }
  return parts;
}

function sendJson(res: ServerResponse, status: number, value: unknown): undefined {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, reason = "error"): undefined {
  sendJson(res, status, {
    error: { code: status, message, errors: [{ domain: "global", reason, message }] },
  });
}

function md5(bytes: Buffer): string {
  return createHash("md5").update(bytes).digest("base64");
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C (Castagnoli), big-endian, base64: the form Cloud Storage reports. Written here, not taken from the client, so the client's check is a real one. */
function crc32c(bytes: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString("base64");
}
