import type { Command } from "commander";
import { ArchiveNotFound, sourceArchiveUrl } from "../../archive/archive.js";
import { openArchive } from "../../archive/open-archive.js";
import { DEFAULT_SOURCE } from "../../core/event-recorder.js";
import { createProgressLine } from "../../replay/progress-line.js";
import { parseReplayRange, type ReplayCounts, replay } from "../../replay/replay.js";
import { SOURCE_NAME } from "../../sources/sources-config.js";
import { type CliContext, positiveIntOption, timeOptions, UsageError } from "../context.js";
import { printable, printJson } from "../table.js";

export function registerReplay(program: Command, cli: CliContext): void {
  program
    .command("replay")
    .description("load archived raw events into the configured database, idempotently")
    .argument("<archive-url>", "file:<dir> or gs://<bucket>/<prefix>")
    .option(
      "--since <date>",
      "only events received on or after this date (YYYY-MM-DD, from its start) or ISO-8601 time (default: no lower bound)",
    )
    .option(
      "--until <date>",
      "only events received up to this date (YYYY-MM-DD, the whole day) or ISO-8601 time, inclusive (default: no upper bound)",
    )
    .option(
      "--source <name>",
      "replay the archive of this source, <archive-url>/source=<name>/ (default: the default source's, at the root)",
    )
    .option("--concurrency <n>", "objects read and written at once (default: 1024 for file:, 64 for gs://)")
    .option("--json", "print the summary as JSON for scripts")
    .action(
      async (
        url: string,
        options: { since?: string; until?: string; source?: string; concurrency?: string; json?: boolean },
      ) => {
        const range = timeOptions(() => parseReplayRange(options.since, options.until));
        const concurrency = positiveIntOption("--concurrency", options.concurrency);
        if (options.source !== undefined && !SOURCE_NAME.test(options.source)) {
          throw new UsageError(`--source: "${options.source}" is not a source name`);
        }
        const sourceName = options.source ?? DEFAULT_SOURCE;
        const archive = await openArchive(sourceArchiveUrl(url, sourceName), {
          name: "archive-url",
          mustExist: true,
        }).catch((error: unknown) => {
          throw new UsageError(error instanceof Error ? error.message : String(error));
        });
        const progress = createProgressLine();
        await cli.withWritableStore(async (store) => {
          const summary = await replay({
            archive,
            store,
            range,
            sourceName,
            ...(concurrency !== undefined ? { concurrency } : {}),
            onProgress: (counts) => progress.update(() => `replay: ${describe(counts)}`),
          }).catch((error: unknown) => {
            throw error instanceof ArchiveNotFound ? new UsageError(`archive-url: ${error.message}`) : error;
          });
          const rate = summary.seconds > 0 ? Math.round(summary.read / summary.seconds) : summary.read;
          progress.done(
            `replay: ${describe(summary)} in ${summary.seconds.toFixed(1)} s (${rate.toLocaleString("en-US")}/s)`,
          );
          if (options.json) {
            printJson({
              archive: archive.description,
              database: store.dialect,
              read: summary.read,
              inserted: summary.inserted,
              already_present: summary.alreadyPresent,
              invalid: summary.invalid,
              outside_range: summary.outsideRange,
              without_metadata: summary.withoutMetadata,
              seconds: summary.seconds,
              problems: summary.problems,
            });
          } else {
            process.stdout.write(
              `replayed ${archive.description} into ${store.dialect}: ${summary.read} read, ` +
                `${summary.inserted} inserted, ${summary.alreadyPresent} already present, ${summary.invalid} invalid\n`,
            );
          }
          for (const problem of summary.problems) {
            process.stderr.write(`invalid: ${printable(problem.key)}: ${printable(problem.reason)}\n`);
          }
          if (summary.invalid > summary.problems.length) {
            process.stderr.write(`invalid: … and ${summary.invalid - summary.problems.length} more\n`);
          }
          if (summary.invalid > 0) {
            throw new Error(`${summary.invalid} archived object(s) are not valid events; see the list above`);
          }
        });
      },
    );
}

function describe(counts: Readonly<ReplayCounts>): string {
  const extra = [
    counts.outsideRange > 0 ? `${counts.outsideRange} outside the range` : "",
    counts.withoutMetadata > 0 ? `${counts.withoutMetadata} without metadata` : "",
  ].filter(Boolean);
  return (
    `${counts.read} read, ${counts.inserted} inserted, ${counts.alreadyPresent} already present, ` +
    `${counts.invalid} invalid${extra.length > 0 ? `, ${extra.join(", ")}` : ""}`
  );
}
