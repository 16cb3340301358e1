import type { Command } from "commander";
import type { BackfillSummary } from "../../backfill/backfill.js";
import type { Config } from "../../config/config.js";
import { readConfigFile } from "../../config/config-file-schema.js";
import { parseLogisticsEnvelope } from "../../core/logistics-envelope.js";
import type { EventOrigin } from "../../core/verified-event.js";
import { timeBounds } from "../../time-bounds.js";
import { type CliContext, timeOptions, UsageError } from "../context.js";
import { formatTable, printJson } from "../table.js";

/** Beyond this many, the table of missing events is cut short (--json lists them all). */
const LISTED_MISSING = 50;

export function registerBackfill(program: Command, cli: CliContext): void {
  program
    .command("backfill")
    .description("fetch events from Flexport's events API and store the ones the webhooks missed")
    .requiredOption(
      "--since <date>",
      "first occurred_at to fetch: a date (YYYY-MM-DD, from its start) or ISO-8601 time, inclusive (required)",
    )
    .option(
      "--until <date>",
      "last occurred_at to fetch: a date (YYYY-MM-DD, the whole day) or ISO-8601 time, inclusive (default: no upper bound)",
    )
    .option("--type <type>", "only events of this type, e.g. /shipment#arrived (default: every type)")
    .option(
      "--source <name>",
      "record the events under this source of PORTCALL_CONFIG; a logistics source reads the Logistics API (default: the default freight source)",
    )
    .option("--dry-run", "report the missing events without storing anything")
    .option("--json", "print the summary as JSON for scripts")
    .action(
      async (options: {
        since: string;
        until?: string;
        type?: string;
        source?: string;
        dryRun?: boolean;
        json?: boolean;
      }) => {
        const bounds = timeOptions(() => timeBounds(options.since, options.until));
        const since = bounds.since?.iso as string;
        const until = bounds.until?.iso;
        const [
          { runBackfill },
          { loadFlexportApiConfig, loadLogisticsApiConfig },
          { openFlexportEventsClient },
        ] = await Promise.all([
          import("../../backfill/backfill.js"),
          import("../../backfill/backfill-config.js"),
          import("../../backfill/open-flexport-client.js"),
        ]);
        const source = backfillSource(cli.config(), options.source);
        const api =
          source?.api === "logistics" ? loadLogisticsApiConfig(cli.env) : loadFlexportApiConfig(cli.env);
        await cli.withWritableStore(async (store, config) => {
          const client = openFlexportEventsClient(api, {
            api: source?.api ?? "freight",
            dataDir: config.dataDir,
            retry: {
              onRetry: (r) =>
                process.stderr.write(
                  `backfill: ${r.reason}; retrying in ${(r.waitMs / 1000).toFixed(1)} s (attempt ${r.attempt + 1} of ${r.maxAttempts})\n`,
                ),
            },
          });
          // First Ctrl-C: finish and save the page in hand, then stop; the next run resumes.
          const stop = new AbortController();
          const onSignal = () => {
            process.stderr.write("backfill: stopping after the current page\n");
            stop.abort();
          };
          process.once("SIGINT", onSignal);
          process.once("SIGTERM", onSignal);
          try {
            const summary = await runBackfill({
              store,
              client,
              apiUrl: api.apiUrl,
              query: { since, until, type: options.type },
              dryRun: options.dryRun === true,
              dataDir: config.dataDir,
              signal: stop.signal,
              source,
              progress: (line) => process.stderr.write(`backfill: ${line}\n`),
            });
            if (options.json) printJson(summary);
            else process.stdout.write(formatSummary(summary));
          } finally {
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
          }
        });
      },
    );
}

/** The named source's api and envelope; undefined (the default freight source) without --source. */
function backfillSource(config: Config, name: string | undefined): EventOrigin | undefined {
  if (name === undefined || name === "default") return undefined;
  const section = readConfigFile(config).sources?.[name];
  if (section === undefined) throw new UsageError(`--source: no source "${name}" in PORTCALL_CONFIG`);
  if (section.api === "freight") return { sourceName: name, api: "freight" };
  const options = { defaultType: section.event_type };
  return {
    sourceName: name,
    api: "logistics",
    envelope: (body: Uint8Array, sha: string) => parseLogisticsEnvelope(body, sha, options),
  };
}

export function formatSummary(summary: BackfillSummary): string {
  const verb = summary.dry_run ? "would insert" : "inserted";
  const window = `${summary.query.since} .. ${summary.query.until ?? "now"}${summary.query.type ? `, type ${summary.query.type}` : ""}`;
  const lines = [
    `${summary.dry_run ? "dry run: nothing written. " : ""}${window}${summary.resumed ? " (resumed)" : ""}`,
    `fetched ${summary.fetched} events in ${summary.pages} page${summary.pages === 1 ? "" : "s"}: ${summary.present} already stored, ${summary.missing} ${verb} (missed by the webhooks)`,
  ];
  if (summary.invalid > 0) lines.push(`skipped ${summary.invalid} elements that are not usable events`);
  if (summary.outside > 0)
    lines.push(`ignored ${summary.outside} events outside the requested window or type`);
  const types = Object.entries(summary.by_type).sort(([a], [b]) => a.localeCompare(b));
  if (types.length > 0) {
    lines.push(
      "",
      formatTable(
        ["type", "fetched", "already stored", verb],
        types.map(([type, c]) => [type, c.fetched, c.present, c.missing]),
      ),
    );
  }
  if (summary.missing_events.length > 0) {
    const shown = summary.missing_events.slice(0, LISTED_MISSING);
    lines.push(
      "",
      formatTable(
        [summary.dry_run ? "missing id" : "inserted id", "type", "occurred at"],
        shown.map((e) => [e.id, e.type, e.occurred_at]),
      ),
    );
    if (summary.missing_events.length > shown.length) {
      lines.push(`... and ${summary.missing_events.length - shown.length} more (use --json for all)`);
    }
  }
  return `${lines.join("\n")}\n`;
}
