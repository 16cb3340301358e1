import type { Command } from "commander";
import { type CliContext, UsageError } from "../context.js";
import { formatTable, placeText, printJson } from "../table.js";

export function registerTimeline(program: Command, cli: CliContext): void {
  program
    .command("timeline")
    .description("a shipment's milestones in order of occurrence, with locations")
    .argument("<shipment-id>", "Flexport shipment id")
    .option("--json", "print a JSON array for scripts")
    .action(async (shipmentId: string, options: { json?: boolean }) => {
      await cli.withStore(async (store) => {
        const reports = store.reports();
        const rows = await reports.timeline(shipmentId);
        if (rows.length === 0) throw new UsageError(`no events stored for shipment ${shipmentId}`);
        if (options.json) {
          printJson(rows);
          return;
        }
        process.stdout.write(
          `${formatTable(
            ["occurred at", "milestone", "category", "location", "containers", "event"],
            rows.map((m) => [
              m.occurred_at ?? m.created_at,
              m.label,
              m.category,
              placeText(m.location_name, m.location_code),
              m.container_numbers,
              m.event_id,
            ]),
          )}\n`,
        );
      });
    });
}
