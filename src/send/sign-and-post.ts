import { signBody } from "../core/signature.js";

export interface PostResult {
  readonly status: number;
  readonly body: string;
}

/** Sends the exact bytes with the given authentication headers, as Flexport does. */
export async function postDelivery(
  url: string,
  body: Uint8Array,
  headers: Readonly<Record<string, string>>,
  method: "POST" | "PUT" = "POST",
): Promise<PostResult> {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", "user-agent": "portcall-send", ...headers },
    body,
  });
  return { status: response.status, body: await response.text() };
}

/** Signs the exact bytes with both Flexport headers, as Flexport does, and POSTs them. */
export function signAndPost(url: string, body: Uint8Array, secret: string): Promise<PostResult> {
  return postDelivery(url, body, signBody(body, secret));
}
