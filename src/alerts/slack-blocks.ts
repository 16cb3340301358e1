import { type AlertMessage, messageLines, shipmentLabel } from "./alert-message.js";

/** Slack's incoming-webhook body: `text` (notifications, fallback) plus Block Kit blocks. */
export interface SlackPayload {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

// Slack escapes only these three in mrkdwn text.
// https://api.slack.com/reference/surfaces/formatting#escaping
const mrkdwn = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function slackPayload(message: AlertMessage): SlackPayload {
  const fields: { type: "mrkdwn"; text: string }[] = [];
  const shipment = shipmentLabel(message);
  if (shipment !== null) fields.push({ type: "mrkdwn", text: `*Shipment*\n${mrkdwn(shipment)}` });
  if (message.milestone !== null)
    fields.push({ type: "mrkdwn", text: `*Milestone*\n${mrkdwn(message.milestone)}` });
  if (message.where !== null) fields.push({ type: "mrkdwn", text: `*Where*\n${mrkdwn(message.where)}` });
  if (message.when !== null) fields.push({ type: "mrkdwn", text: `*When*\n${mrkdwn(message.when)}` });
  if (message.source !== undefined)
    fields.push({ type: "mrkdwn", text: `*Source*\n${mrkdwn(message.source)}` });
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: message.title.slice(0, 150), emoji: false } },
  ];
  if (fields.length > 0) blocks.push({ type: "section", fields });
  if (message.details.length > 0) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: message.details.map(mrkdwn).join("\n").slice(0, 3000) },
    });
  }
  if (message.link !== null) {
    blocks.push({
      type: "actions",
      elements: [{ type: "button", text: { type: "plain_text", text: "Open shipment" }, url: message.link }],
    });
  }
  const context = [`rule \`${mrkdwn(message.rule)}\``];
  if (message.eventId !== null) context.push(`event ${mrkdwn(message.eventId)}`);
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: context.join(" · ") }] });
  return { text: messageLines(message).slice(0, 2).join(" — "), blocks };
}
