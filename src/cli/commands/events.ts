import type { Command } from "commander";
import { type CliContext, isoOption, positiveIntOption } from "../context.js";
import { printRows } from "../table.js";

export function registerEvents(program: Command, cli: CliContext): void {
  program
    .command("events")
    .description("list stored events, newest first")
    .option("--type <type>", "only events of this type, e.g. /shipment_leg#departed")
    .option("--source <name>", "only events of this source (default for /webhooks/flexport)")
    .option("--since <iso>", "only events first received at or after this time")
    .option("--limit <n>", "at most this many events")
    .option("--json", "print a JSON array for scripts")
    .action(
      async (options: { type?: string; source?: string; since?: string; limit?: string; json?: boolean }) => {
        const query = {
          type: options.type,
          source: options.source,
          since: isoOption("--since", options.since),
          limit: positiveIntOption("--limit", options.limit) ?? (options.json ? undefined : 50),
        };
        await cli.withStore(async (store) => {
          const events = await store.listEvents(query);
          printRows(events, {
            json: options.json,
            empty: "no events stored yet",
            columns: ["id", "type", "occurred at", "received at", "deliveries", "sig", "via", "source"],
            cells: (e) => [
              e.id,
              e.type,
              e.occurred_at,
              e.received_at,
              e.deliveries,
              e.signature_alg,
              e.source,
              e.source_name,
            ],
          });
        });
      },
    );
}
