import type { Command } from "commander";
import { type CliContext, UsageError } from "../context.js";
import { formatTable, printJson } from "../table.js";

/** "+2d 08:37", "-01:05": an estimate's move against the one before it. */
function slipText(seconds: number | null): string | null {
  if (seconds === null) return null;
  const sign = seconds < 0 ? "-" : "+";
  const abs = Math.abs(seconds);
  const days = Math.floor(abs / 86_400);
  const hh = String(Math.floor((abs % 86_400) / 3600)).padStart(2, "0");
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, "0");
  return `${sign}${days > 0 ? `${days}d ` : ""}${hh}:${mm}`;
}

export function registerEta(program: Command, cli: CliContext): void {
  program
    .command("eta")
    .description(
      "a shipment's ETA history: every announced estimate of departure and arrival (flexport_eta_history)",
    )
    .argument("<shipment-id>", "Flexport shipment id")
    .option("--json", "print the flexport_eta_history rows as a JSON array for scripts")
    .action(async (shipmentId: string, options: { json?: boolean }) => {
      await cli.withStore(async (store) => {
        const rows = await store.reports().etaHistory(shipmentId);
        if (options.json) {
          printJson(rows);
          return;
        }
        if (rows.length === 0) throw new UsageError(`no estimates stored for shipment ${shipmentId}`);
        process.stdout.write(
          `${formatTable(
            ["kind", "announced at", "estimate", "change", "actual", "event"],
            rows.map((r) => [
              r.kind,
              r.announced_at,
              r.estimated,
              r.previous_estimated_at === null ? "first" : slipText(r.slip_seconds),
              r.actual,
              `${r.event_id} ${r.label}`,
            ]),
          )}\n`,
        );
      });
    });
}
