import { type Destination, DestinationError, hostOf } from "./destination.js";
import { postOrFail } from "./http-post.js";

/** Options of a signed HTTP webhook. */
export interface WebhookOptions {
  readonly name: string;
  readonly url: string;
  /** Standard Webhooks secret: `whsec_` followed by base64 (at least 24 bytes). */
  readonly secret: string;
  readonly timeoutMs?: number | undefined;
}

/**
 * POSTs JSON signed with the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64>`), so receivers verify it with a library they trust.
 * `webhook-id` is the alert's stable id: a retry carries the same one, and the spec asks
 * receivers to drop ids they have seen. https://www.standardwebhooks.com/
 * A forwarded event is sent as the exact bytes Flexport sent; an alert as
 * `{"type":"portcall.alert","timestamp":…,"data":{…}}`.
 */
export async function createWebhookDestination(options: WebhookOptions): Promise<Destination> {
  // A CommonJS package: its module.exports is the default export both under Node's own
  // loader and in the esbuild bundle (where the named exports do not exist).
  const { Webhook } = (await import("standardwebhooks")).default;
  let signer: InstanceType<typeof Webhook>;
  try {
    signer = new Webhook(options.secret);
  } catch {
    throw new DestinationError(`destination ${options.name}: secret must be whsec_ followed by base64`);
  }
  return {
    name: options.name,
    kind: "webhook",
    target: `webhook ${hostOf(options.url)}`,
    async send(outgoing) {
      const body =
        outgoing.event !== undefined
          ? outgoing.event.payload
          : JSON.stringify({
              type: "portcall.alert",
              timestamp: outgoing.timestamp.toISOString(),
              data: outgoing.message,
            });
      const timestamp = new Date();
      const headers = {
        "webhook-id": outgoing.id,
        "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
        "webhook-signature": signer.sign(outgoing.id, timestamp, body),
      };
      await postOrFail(options.url, body, headers, options.timeoutMs ?? 10_000);
    },
    async close() {},
  };
}
