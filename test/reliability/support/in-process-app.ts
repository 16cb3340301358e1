import type { App } from "../../../src/server/app.js";
import type { EventStore } from "../../../src/stores/store.js";
import { buildTestApp } from "../../helpers/http.js";

/** The real app, not listening, for `app.inject()`; log lines are kept when asked. */
export function createInProcessApp(
  store: EventStore,
  options: { secrets: string[]; maxBodyBytes: number; logLines?: string[] },
): App {
  return buildTestApp(store, options);
}
