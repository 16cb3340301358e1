import { request } from "node:http";

export interface PartialRequest {
  /** Sends the rest of the body. */
  finish(): void;
  /** Resolves with the status, or with the error when no answer came. */
  readonly answer: Promise<{ status?: number; body?: string; error?: string }>;
}

/** A POST whose headers and first part of the body are sent now and the rest later: in flight. */
export function startPartialPost(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  firstBytes: number,
): PartialRequest {
  const req = request(url, {
    method: "POST",
    agent: false,
    headers: { ...headers, "content-type": "application/json", "content-length": body.byteLength },
  });
  const answer = new Promise<{ status?: number; body?: string; error?: string }>((resolve) => {
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", (e) => resolve({ error: e.message }));
    });
    req.on("error", (e) => resolve({ error: e.message }));
  });
  req.flushHeaders();
  req.write(body.subarray(0, firstBytes));
  return { finish: () => req.end(body.subarray(firstBytes)), answer };
}
