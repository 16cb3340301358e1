import { signBody } from "../core/signature.js";

export interface PostResult {
  readonly status: number;
  readonly body: string;
}

/** Signs the exact bytes with both Flexport headers, as Flexport does, and POSTs them. */
export async function signAndPost(url: string, body: Uint8Array, secret: string): Promise<PostResult> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "portcall-send", ...signBody(body, secret) },
    body,
  });
  return { status: response.status, body: await response.text() };
}
