import type { Command } from "commander";
import type { SinkStatus } from "../../stores/outbox.js";
import type { CliContext } from "../context.js";
import { printRows } from "../table.js";

export function registerStatus(program: Command, cli: CliContext): void {
  program
    .command("status")
    .description("show, per export sink, the backlog, the oldest pending event's age and the last error")
    .option("--json", "print JSON for scripts")
    .action(async (options: { json?: boolean }) => {
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
