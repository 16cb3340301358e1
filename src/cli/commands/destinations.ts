import type { Command } from "commander";
import { plainMessage } from "../../alerts/alert-message.js";
import { configuredAlerts } from "../../alerts/configured-alerts.js";
import { openDestination } from "../../destinations/open-destination.js";
import { type CliContext, UsageError } from "../context.js";
import { formatTable } from "../table.js";

export function registerDestinations(program: Command, cli: CliContext): void {
  const destinations = program
    .command("destinations")
    .description("the alert destinations configured (PORTCALL_CONFIG, PORTCALL_SLACK_WEBHOOK_URL)")
    .action(async () => {
      const config = configuredAlerts(cli.config(), cli.env);
      if (config.destinations.length === 0) {
        process.stdout.write("no destinations configured\n");
        return;
      }
      const rows = [];
      for (const spec of config.destinations) {
        const destination = await openDestination(spec);
        rows.push([
          spec.name,
          spec.type,
          destination.target,
          config.rules
            .filter((r) => r.to.includes(spec.name))
            .map((r) => r.name)
            .join(", "),
        ]);
        await destination.close();
      }
      process.stdout.write(`${formatTable(["name", "type", "target", "rules"], rows)}\n`);
    });

  destinations
    .command("test <name>")
    .description("send a test message to one destination now, outside the queue")
    .action(async (name: string) => {
      const config = configuredAlerts(cli.config(), cli.env);
      const spec = config.destinations.find((d) => d.name === name);
      if (spec === undefined) {
        const known = config.destinations.map((d) => d.name).join(", ") || "none configured";
        throw new UsageError(`no destination named ${name} (known: ${known})`);
      }
      const destination = await openDestination(spec);
      const id = `pc_test_${Date.now().toString(36)}`;
      try {
        await destination.send({
          id,
          timestamp: new Date(),
          message: plainMessage(id, "test", "portcall test message", [
            `If you can read this, destination "${name}" works.`,
          ]),
        });
      } finally {
        await destination.close();
      }
      process.stdout.write(`sent a test message to ${name} (${destination.target})\n`);
    });
}
