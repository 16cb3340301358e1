import type { Command } from "commander";
import { type CliContext, positiveIntOption, UsageError } from "../context.js";
import { printRows } from "../table.js";

export function registerRejects(program: Command, cli: CliContext): void {
  program
    .command("rejects")
    .description("list authenticated bodies that were quarantined instead of stored, and why")
    .option("--limit <n>", "at most this many")
    .option("--source <name>", "only bodies sent to this source")
    .option("--json", "print a JSON array for scripts")
    .option("--raw <sha256>", "write the exact quarantined bytes of one body to stdout")
    .action(async (options: { limit?: string; source?: string; json?: boolean; raw?: string }) => {
      const limit = positiveIntOption("--limit", options.limit);
      await cli.withStore(async (store) => {
        if (options.raw !== undefined) {
          const reject = await store.getReject(options.raw);
          if (reject === undefined) throw new UsageError(`no quarantined body with sha256 ${options.raw}`);
          process.stdout.write(reject.payload);
          return;
        }
        const rejects = await store.listRejects({ limit, source: options.source });
        printRows(rejects, {
          json: options.json,
          empty: "no quarantined bodies",
          columns: ["sha256", "source", "reason", "detail", "event id", "received at", "deliveries", "bytes"],
          cells: (r) => [
            r.payload_sha256.slice(0, 12),
            r.source_name,
            r.reason,
            r.detail,
            r.event_id,
            r.received_at,
            r.deliveries,
            r.bytes,
          ],
        });
      });
    });
}
