import type { Command } from "commander";
import type { DeadLetterSelection } from "../../stores/outbox.js";
import { type CliContext, positiveIntOption, UsageError } from "../context.js";
import { printRows } from "../table.js";

interface SelectionOptions {
  sink?: string;
  id?: string[];
}

export function registerExport(program: Command, cli: CliContext): void {
  const exportCommand = program
    .command("export")
    .description("inspect and retry the background export to ARCHIVE_URL / BIGQUERY_TABLE");

  exportCommand
    .command("dead")
    .description("list dead letters: events a sink rejected as invalid on every allowed attempt")
    .option("--sink <name>", "only this sink (e.g. bigquery, archive)")
    .option("--id <eventId...>", "only these event ids")
    .option("--limit <n>", "at most this many (default: 100)")
    .option("--json", "print a JSON array for scripts")
    .action(async (options: SelectionOptions & { limit?: string; json?: boolean }) => {
      const limit = positiveIntOption("--limit", options.limit) ?? 100;
      await cli.withStore(async (store) => {
        printRows(await store.outbox().deadLetters(selectionOf(options), limit), {
          json: options.json,
          empty: "no dead letters",
          columns: ["sink", "event id", "attempts", "dead since", "last error"],
          cells: (d) => [d.sink, d.eventId, d.attempts, d.deadAt, d.lastError],
        });
      });
    });

  exportCommand
    .command("retry")
    .description("put dead letters back in the export queue, due now, with a fresh attempt count")
    .option("--dead", "retry dead letters (required: the only kind of retry there is)")
    .option("--sink <name>", "only this sink (default: every sink)")
    .option("--id <eventId...>", "only these event ids (default: all)")
    .action(async (options: SelectionOptions & { dead?: boolean }) => {
      if (options.dead !== true) {
        throw new UsageError(
          "export retry: say --dead (pending events are retried by the exporter on their own)",
        );
      }
      await cli.withStore(async (store) => {
        const count = await store.outbox().retryDead(selectionOf(options));
        process.stdout.write(
          count === 0
            ? "no dead letters matched; nothing to retry\n"
            : `${count} dead letter(s) queued again; a running "portcall serve" exports them on its next round\n`,
        );
      });
    });
}

function selectionOf(options: SelectionOptions): DeadLetterSelection {
  return {
    ...(options.sink !== undefined ? { sink: options.sink } : {}),
    ...(options.id !== undefined ? { eventIds: options.id } : {}),
  };
}
