import { slackPayload } from "../alerts/slack-blocks.js";
import { type Destination, hostOf } from "./destination.js";
import { postOrFail } from "./http-post.js";

/** Options of a Slack incoming webhook. */
export interface SlackOptions {
  readonly name: string;
  /** The incoming-webhook URL Slack gave (a secret: it is never shown in full). */
  readonly url: string;
  /** Per-request timeout; default 10 s. */
  readonly timeoutMs?: number | undefined;
}

/**
 * Slack incoming webhooks take no idempotency key, so a send retried after a crash between
 * Slack's 200 and portcall recording it can show twice (docs/alerts.md, "Exactly once").
 */
export function createSlackDestination(options: SlackOptions): Destination {
  return {
    name: options.name,
    kind: "slack",
    target: `slack ${hostOf(options.url)}`,
    async send(outgoing) {
      await postOrFail(
        options.url,
        JSON.stringify(slackPayload(outgoing.message)),
        {},
        options.timeoutMs ?? 10_000,
      );
    },
    async close() {},
  };
}
