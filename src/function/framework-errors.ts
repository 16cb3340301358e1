import { createRequire } from "node:module";
import type { Request, Response } from "@google-cloud/functions-framework";
import { errorBody } from "../core/errors.js";

type Handler = (req: Request, res: Response) => Promise<void>;
type Done = (error?: unknown) => void;
interface ExpressApplication {
  handle(this: unknown, req: Request, res: Response, done?: Done): unknown;
}

const PATCHED = Symbol.for("portcall.frameworkErrors");

/**
 * functions-framework parses bodies before the function runs (JSON for application/json),
 * and a parse failure goes straight to Express's final handler: an HTML page with the stack
 * trace and file paths, unless NODE_ENV=production (then an HTML "Bad Request"). The
 * framework has no hook for this (GoogleCloudPlatform/functions-framework-nodejs#686), so
 * this replaces the final handler of the Express the framework itself loads:
 * - a POST whose body was read (the framework keeps `rawBody` before parsing) goes to
 *   `handler` anyway, which verifies the signature on the exact bytes and answers like
 *   server mode (401 for a forgery; 400 `invalid_json` for a signed bad body, kept);
 * - anything else gets portcall's JSON error, never HTML or a stack.
 * It must run before the framework builds its app, i.e. when the function module loads.
 */
export function answerFrameworkErrorsWith(handler: Handler): void {
  const express = frameworkExpress();
  if (express === undefined) return;
  const application = express.application as ExpressApplication & { [PATCHED]?: boolean };
  if (application[PATCHED]) return;
  const original = application.handle;
  application.handle = function handle(req, res, done) {
    return original.call(
      this,
      req,
      res,
      done ?? ((error?: unknown) => finalAnswer(error, req, res, handler)),
    );
  };
  application[PATCHED] = true;
}

function finalAnswer(error: unknown, req: Request, res: Response, handler: Handler): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (error === undefined) {
    res.status(404).json(errorBody("not_found"));
    return;
  }
  if (req.method === "POST" && Buffer.isBuffer(req.rawBody)) {
    handler(req, res).catch(() => {
      if (!res.headersSent) res.status(500).json(errorBody("internal_error"));
    });
    return;
  }
  const status = statusOf(error);
  if (status === 413) res.status(413).json(errorBody("payload_too_large"));
  else if (status !== undefined && status >= 400 && status < 500) {
    res.status(400).json(errorBody("bad_request"));
  } else res.status(500).json(errorBody("internal_error"));
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** The framework's own copy of Express (the one whose app serves the function). */
function frameworkExpress(): { application: unknown } | undefined {
  try {
    const require = createRequire(import.meta.url);
    const framework = require.resolve("@google-cloud/functions-framework");
    return createRequire(framework)("express") as { application: unknown };
  } catch {
    return undefined; // not run by functions-framework (a test importing the module)
  }
}
