/** Where the default source's deliveries arrive (other sources: /webhooks/<name>). */
export const WEBHOOK_PATH = "/webhooks/flexport";
