#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/config.js";
import { packageVersion } from "../paths.js";
import { registerAlerts } from "./commands/alerts.js";
import { registerBackfill } from "./commands/backfill.js";
import { registerDestinations } from "./commands/destinations.js";
import { registerEta } from "./commands/eta.js";
import { registerEvent } from "./commands/event.js";
import { registerEvents } from "./commands/events.js";
import { registerExport } from "./commands/export.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerRejects } from "./commands/rejects.js";
import { registerReplay } from "./commands/replay.js";
import { registerSend } from "./commands/send.js";
import { registerServe } from "./commands/serve.js";
import { registerShipments } from "./commands/shipments.js";
import { registerStatus } from "./commands/status.js";
import { registerTimeline } from "./commands/timeline.js";
import { createCliContext, UsageError } from "./context.js";
import { loadDisplayWidths } from "./table.js";

// The one place the CLI reads the environment; commands get it through the context.
const cli = createCliContext(process.env);

const program = new Command()
  .name("portcall")
  .description("Receive Flexport webhooks and keep every event exactly once, byte-exact.")
  .version(packageVersion(), "-V, --version", "print portcall's version")
  .showHelpAfterError()
  .exitOverride()
  // Every command but serve may print a table; serve's cold start does not pay for it.
  .hook("preAction", (_program, command) => (command.name() === "serve" ? undefined : loadDisplayWidths()));

registerServe(program, cli);
registerMigrate(program, cli);
registerEvents(program, cli);
registerEvent(program, cli);
registerRejects(program, cli);
registerSend(program, cli);
registerReplay(program, cli);
registerStatus(program, cli);
registerExport(program, cli);
registerAlerts(program, cli);
registerDestinations(program, cli);
registerBackfill(program, cli);
registerShipments(program, cli);
registerTimeline(program, cli);
registerEta(program, cli);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Only this entry point prints and exits; commands throw.
  if (error instanceof CommanderError) {
    // Commander has printed its message; help and --version end 0, every usage mistake 2.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof ConfigError || error instanceof UsageError) {
    process.stderr.write(`portcall: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`portcall: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
