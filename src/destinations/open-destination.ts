import type { ResolvedDestination } from "../alerts/alerts-config.js";
import type { Destination } from "./destination.js";

/** Builds a configured destination; each kind's module (and SDK) loads only when used. */
export async function openDestination(spec: ResolvedDestination): Promise<Destination> {
  switch (spec.type) {
    case "slack": {
      const { createSlackDestination } = await import("./slack-destination.js");
      return createSlackDestination({ name: spec.name, url: spec.url });
    }
    case "webhook": {
      const { createWebhookDestination } = await import("./webhook-destination.js");
      return createWebhookDestination({ name: spec.name, url: spec.url, secret: spec.secret });
    }
    case "email": {
      const { createEmailDestination } = await import("./email-destination.js");
      return createEmailDestination(spec);
    }
  }
}
