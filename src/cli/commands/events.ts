import type { Command } from "commander";
import { timeBounds } from "../../time-bounds.js";
import { type CliContext, positiveIntOption, timeOptions } from "../context.js";
import { printRows } from "../table.js";

export function registerEvents(program: Command, cli: CliContext): void {
  program
    .command("events")
    .description("list stored events, newest first")
    .option("--type <type>", "only events of this type, e.g. /shipment_leg#departed (default: every type)")
    .option(
      "--source <name>",
      "only events of this source; default is /webhooks/flexport's (default: every source)",
    )
    .option(
      "--since <date>",
      "only events first received at or after this date (YYYY-MM-DD, from its start) or ISO-8601 time (default: no lower bound)",
    )
    .option("--limit <n>", "at most this many events (default: 50 in the table, all with --json)")
    .option("--json", "print a JSON array for scripts")
    .action(
      async (options: { type?: string; source?: string; since?: string; limit?: string; json?: boolean }) => {
        const query = {
          type: options.type,
          source: options.source,
          since: timeOptions(() => timeBounds(options.since, undefined)).since?.iso,
          limit: positiveIntOption("--limit", options.limit) ?? (options.json ? undefined : 50),
        };
        await cli.withStore(async (store) => {
          const events = await store.listEvents(query);
          const filtered =
            query.type !== undefined || query.source !== undefined || query.since !== undefined;
          // Only a short answer needs the counts: "none match" or "N more not shown".
          const matching =
            !options.json && (events.length === 0 ? filtered : events.length === query.limit)
              ? await store.countEvents(query)
              : events.length;
          const empty = filtered
            ? `no events match these filters (${await store.countEvents({})} stored in all)`
            : "no events stored yet";
          const hidden = matching - events.length;
          printRows(events, {
            json: options.json,
            empty,
            ...(hidden > 0
              ? {
                  footer: `… ${hidden} more event${hidden === 1 ? "" : "s"} not shown (use --limit or --json)`,
                }
              : {}),
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
