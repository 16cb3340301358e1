import type { Command } from "commander";
import { type CliContext, positiveIntOption, UsageError } from "../context.js";
import { printRows } from "../table.js";
import type { RejectsOptions } from "./archive-rejects.js";

export function registerRejects(program: Command, cli: CliContext): void {
  program
    .command("rejects")
    .description("list authenticated bodies that were quarantined instead of stored, and why")
    .option("--limit <n>", "at most this many (default: all)")
    .option("--source <name>", "only bodies sent to this source (default: every source)")
    .option("--json", "print a JSON array for scripts")
    .option(
      "--raw <sha256>",
      "write the exact quarantined bytes of one body to stdout; any unique prefix of its sha256 will do",
    )
    .option(
      "--archive <url>",
      "read the rejects kept in this archive (function mode) instead of the database",
    )
    .option("--since <date>", "with --archive: only rejects received on or after this date (YYYY-MM-DD)")
    .option("--until <date>", "with --archive: only rejects received up to this date (inclusive)")
    .option("--replay", "with --archive: keep the rejects that the current parser accepts as events")
    .action(async (options: RejectsOptions) => {
      const limit = positiveIntOption("--limit", options.limit);
      if (options.archive !== undefined) {
        const { archiveRejects } = await import("./archive-rejects.js");
        await archiveRejects(cli, options.archive, { ...options, limit });
        return;
      }
      if (options.replay || options.since !== undefined || options.until !== undefined) {
        throw new UsageError("--replay, --since and --until need --archive <url>");
      }
      await cli.withStore(async (store) => {
        if (options.raw !== undefined) {
          const prefix = options.raw.trim().toLowerCase();
          if (!/^[0-9a-f]{1,64}$/.test(prefix))
            throw new UsageError(`--raw: "${options.raw}" is not a sha256 or a prefix of one (hexadecimal)`);
          const matches = await store.rejectHashesStartingWith(prefix, 2);
          if (matches.length > 1)
            throw new UsageError(
              `--raw: ${prefix} is ambiguous (several quarantined bodies start with it); give more digits`,
            );
          const reject = matches[0] === undefined ? undefined : await store.getReject(matches[0]);
          if (reject === undefined)
            throw new UsageError(`no quarantined body with a sha256 starting ${prefix}`);
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
