import type { Command } from "commander";
import type { SinkStatus } from "../../stores/outbox.js";
import type { CliContext } from "../context.js";
import { formatTable, printJson } from "../table.js";

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
        if (options.json) {
          printJson(sinks.map((s) => ({ ...s, oldestPendingAgeSeconds: ageSeconds(s) })));
          return;
        }
        if (sinks.length === 0) {
          process.stdout.write("no export sinks configured (set ARCHIVE_URL or BIGQUERY_TABLE for serve)\n");
          return;
        }
        process.stdout.write(
          `${formatTable(
            ["sink", "state", "target", "backlog", "oldest pending", "last success", "last error"],
            sinks.map((s) => [
              s.sink,
              s.enabled ? "enabled" : "disabled",
              s.target,
              s.backlog,
              s.oldestPendingAt === null ? null : `${formatAge(ageSeconds(s) ?? 0)} ago`,
              s.lastSuccessAt,
              s.lastError === null ? null : `${s.lastErrorAt ?? ""} ${oneLine(s.lastError)}`,
            ]),
          )}\n`,
        );
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
