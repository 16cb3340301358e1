import type { ApiKind } from "../core/event-recorder.js";
import type { FlexportApiConfig } from "./backfill-config.js";
import { createFlexportAuth } from "./flexport-auth.js";
import { createFlexportEventsClient, type FlexportEventsClient } from "./flexport-events-client.js";
import { createLogisticsEventsClient } from "./logistics-events-client.js";
import { DEFAULT_RETRY, type RetryOptions } from "./retry.js";

/** The events client for a configuration: auth (cached OAuth token in dataDir) and retries. */
export function openFlexportEventsClient(
  config: FlexportApiConfig,
  options: {
    readonly dataDir: string;
    readonly retry?: Partial<RetryOptions>;
    readonly perPage?: number;
    /** Which list to read: the freight `GET /events` (default) or the Logistics API's. */
    readonly api?: ApiKind;
  },
): FlexportEventsClient {
  const retry: RetryOptions = { ...DEFAULT_RETRY, maxAttempts: config.maxAttempts, ...options.retry };
  const auth = createFlexportAuth({
    apiUrl: config.apiUrl,
    credentials: config.credentials,
    dataDir: options.dataDir,
    retry,
  });
  const common = {
    apiUrl: config.apiUrl,
    auth,
    retry,
    ...(options.perPage === undefined ? {} : { perPage: options.perPage }),
  };
  return options.api === "logistics"
    ? createLogisticsEventsClient(common)
    : createFlexportEventsClient(common);
}
