import type { Request, Response } from "@google-cloud/functions-framework";
import { errorBody } from "../core/errors.js";
import { receive, signatureHeadersFrom } from "../core/receive.js";
import { collectAfterLargePayload, LARGE_PAYLOAD_BYTES } from "../large-payloads.js";
import { answerFrameworkErrorsWith } from "./framework-errors.js";
import { createFunctionLog } from "./function-log.js";
import { createFunctionRuntime, type FunctionRuntime } from "./function-runtime.js";

const log = createFunctionLog();
let runtime: Promise<FunctionRuntime> | undefined;

/**
 * The Cloud Run functions (gen2) entry point:
 * `gcloud functions deploy … --gen2 --entry-point=flexportWebhook --trigger-http`.
 * Verifies the framework's raw body (never re-serialised JSON), keeps the event in the
 * archive and BigQuery, and answers 200 only after both succeeded.
 */
export async function flexportWebhook(req: Request, res: Response): Promise<void> {
  if (req.method !== "POST") {
    res.status(405).set("allow", "POST").json(errorBody("method_not_allowed"));
    return;
  }
  let ready: FunctionRuntime;
  try {
    runtime ??= createFunctionRuntime(process.env, log);
    ready = await runtime;
  } catch (error) {
    runtime = undefined; // the next request tries again (say, after a secret is mounted)
    log.write("ERROR", "function is not configured", { error: (error as Error).message });
    res.status(500).json(errorBody("internal_error"));
    return;
  }
  // The framework keeps the exact bytes as rawBody; no body at all leaves it unset.
  const body = req.rawBody ?? Buffer.alloc(0);
  const result = await receive(
    new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    signatureHeadersFrom((name) => req.headers[name]),
    ready.receiveConfig,
    ready.recorder,
  );
  log.write(result.status >= 500 ? "ERROR" : result.status >= 400 ? "WARNING" : "INFO", "flexport webhook", {
    status: result.status,
    outcome: result.outcome,
    ...result.log,
  });
  res.status(result.status).set(result.headers).json(result.body);
  // As the server does (large-payloads.ts): an instance sized at 256 or 512 MiB should not
  // carry a large event's garbage until V8 decides on its own to collect it.
  if (body.byteLength > LARGE_PAYLOAD_BYTES) collectAfterLargePayload();
}

// Bodies the framework fails to parse reach flexportWebhook too, never its HTML error page.
answerFrameworkErrorsWith(flexportWebhook);
