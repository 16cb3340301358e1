import type { Command } from "commander";
import { exportFailedLast, type SinkStatus } from "../../stores/outbox.js";

/** Fifteen minutes: the exporter retries within a few; a backlog older than this is stuck. */
const DEFAULT_MAX_AGE_S = 900;

import { type CliContext, nonNegativeIntOption } from "../context.js";
import { printable, printRows } from "../table.js";

export function registerStatus(program: Command, cli: CliContext): void {
  program
    .command("status")
    .description("show, per export sink, the backlog, the oldest pending event's age and the last error")
    .option(
      "--max-age <seconds>",
      `exit 1 when an enabled sink's oldest unexported event is older than this (default: ${DEFAULT_MAX_AGE_S})`,
    )
    .option("--json", "print JSON for scripts")
    .addHelpText(
      "after",
      "\nExit status: 0 healthy; 1 when a sink's backlog is older than --max-age or its last export failed; 2 usage or configuration.",
    )
    .action(async (options: { json?: boolean; maxAge?: string }) => {
      const maxAgeS = nonNegativeIntOption("--max-age", options.maxAge) ?? DEFAULT_MAX_AGE_S;
      await cli.withStore(async (store) => {
        const sinks = await store.outbox().status();
        const now = Date.now();
        const ageSeconds = (s: SinkStatus) =>
          s.oldestPendingAt === null
            ? null
            : Math.max(0, Math.round((now - Date.parse(s.oldestPendingAt)) / 1000));
        printRows(sinks, {
          json: options.json,
          jsonOf: (rows) => rows.map((s) => ({ ...s, oldestPendingAgeSeconds: ageSeconds(s) })),
          empty: "no export sinks configured (set ARCHIVE_URL or BIGQUERY_TABLE for serve)",
          columns: [
            "sink",
            "state",
            "target",
            "backlog",
            "oldest pending",
            "dead",
            "last success",
            "last error",
          ],
          cells: (s) => [
            s.sink,
            s.enabled ? "enabled" : "disabled",
            s.target,
            s.backlog,
            s.oldestPendingAt === null ? null : `${formatAge(ageSeconds(s) ?? 0)} ago`,
            s.deadLetters,
            s.lastSuccessAt,
            s.lastError === null ? null : `${s.lastErrorAt ?? ""} ${oneLine(s.lastError)}`,
          ],
        });
        const dead = sinks.reduce((sum, s) => sum + s.deadLetters, 0);
        if (!options.json && dead > 0) {
          process.stdout.write(
            `\n${dead} dead letter(s): events a sink rejected as invalid on every attempt. ` +
              `List them with "portcall export dead"; retry with "portcall export retry --dead".\n`,
          );
        }
        // A health check as well as a report: cron, a probe or CI can act on the exit code.
        const problems = sinks
          .filter((s) => s.enabled)
          .flatMap((s) => {
            const found: string[] = [];
            const age = s.oldestPendingAt === null ? 0 : now - Date.parse(s.oldestPendingAt);
            if (age > maxAgeS * 1000)
              found.push(
                `${s.sink}: the oldest unexported event is ${formatAge(Math.round(age / 1000))} old (more than --max-age ${maxAgeS} s)`,
              );
            if (exportFailedLast(s) && s.lastError !== null)
              found.push(`${s.sink}: the last export failed: ${printable(oneLine(s.lastError))}`);
            return found;
          });
        if (problems.length > 0) {
          for (const problem of problems) process.stderr.write(`status: ${problem}\n`);
          process.exitCode = 1;
        }
      });
    });
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
