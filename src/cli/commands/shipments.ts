import { type Command, Option } from "commander";
import { SHIPMENT_STATUSES, type ShipmentStatus } from "../../stores/reports.js";
import type { CliContext } from "../context.js";
import { placeText, printRows } from "../table.js";

export function registerShipments(program: Command, cli: CliContext): void {
  program
    .command("shipments")
    .description("current status of each shipment, most recently active first")
    .addOption(
      new Option("--status <status>", "only shipments with this status").choices([...SHIPMENT_STATUSES]),
    )
    .option("--json", "print a JSON array for scripts")
    .action(async (options: { status?: ShipmentStatus; json?: boolean }) => {
      await cli.withStore(async (store) => {
        const reports = store.reports();
        const rows = await reports.shipments({ status: options.status });
        printRows(rows, {
          json: options.json,
          empty:
            options.status === undefined ? "no shipments yet" : `no shipments with status ${options.status}`,
          columns: [
            "shipment",
            "name",
            "mode",
            "status",
            "open",
            "latest milestone",
            "at",
            "location",
            "arrival",
            "events",
          ],
          cells: (s) => [
            s.shipment_id,
            s.shipment_name,
            s.transportation_mode,
            s.status,
            // Why a shipment is in "exception": an open customs hold first, then the delay.
            s.customs_hold_open ? "customs hold" : s.exception_open ? s.last_exception_label : null,
            s.latest_milestone_label,
            s.latest_milestone_at,
            placeText(s.latest_location_name, s.latest_location_code),
            s.actual_arrival_date ??
              (s.estimated_arrival_date === null ? null : `${s.estimated_arrival_date} (est.)`),
            s.event_count,
          ],
        });
      });
    });
}
