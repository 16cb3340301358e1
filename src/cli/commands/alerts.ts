import type { Command } from "commander";
import { configuredAlerts } from "../../alerts/configured-alerts.js";
import { previousEstimate } from "../../alerts/destination-sink.js";
import { eventFacts } from "../../alerts/event-facts.js";
import { evaluateRules } from "../../alerts/rule-engine.js";
import { type CliContext, positiveIntOption, UsageError } from "../context.js";
import { formatTable, printJson } from "../table.js";

export function registerAlerts(program: Command, cli: CliContext): void {
  const alerts = program
    .command("alerts")
    .description("recent alerts and their delivery state (pending, sent, dead), newest first")
    .option("--destination <name>", "only this destination")
    .option("--limit <n>", "at most this many (default: 50)")
    .option("--json", "print a JSON array for scripts")
    .action(async (options: { destination?: string; limit?: string; json?: boolean }) => {
      const limit = positiveIntOption("--limit", options.limit) ?? 50;
      await cli.withStore(async (store) => {
        const rows = await store.alertLog().list({ limit, destination: options.destination });
        if (options.json) {
          printJson(rows);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write("no alerts yet\n");
          return;
        }
        process.stdout.write(
          `${formatTable(
            ["created", "destination", "rule", "status", "attempts", "event", "title", "last error"],
            rows.map((a) => [
              a.createdAt,
              a.destination,
              a.rule,
              a.status,
              a.attempts,
              a.eventId,
              a.title,
              a.lastError,
            ]),
          )}\n`,
        );
      });
    });

  alerts
    .command("dry-run <eventId>")
    .description("show which rules a stored event triggers and where they would go; sends nothing")
    .option("--json", "print JSON for scripts")
    .action(async (eventId: string, _options: unknown, command: Command) => {
      // `--json` is also an option of `alerts` itself, which commander gives precedence.
      const options = command.optsWithGlobals<{ json?: boolean }>();
      const config = cli.config();
      const alertsConfig = configuredAlerts(config, cli.env);
      await cli.withStore(async (store) => {
        const event = await store.getEvent(eventId);
        if (event === undefined) throw new UsageError(`no stored event with id ${eventId}`);
        const facts = eventFacts({
          id: event.id,
          type: event.type,
          payload: event.payload,
          source: event.source,
          sourceName: event.source_name,
          occurredAt: event.occurred_at,
          createdAt: event.created_at,
        });
        // Reads the ETA history, writes nothing.
        const previousEstimatedArrival = await previousEstimate(alertsConfig.rules, facts, store.alertLog());
        const decisions = evaluateRules(alertsConfig.rules, facts, { previousEstimatedArrival });
        const result = {
          event: {
            id: facts.id,
            type: facts.type,
            label: facts.label,
            category: facts.category,
            source: facts.source,
          },
          rules: alertsConfig.rules.map((rule) => {
            const hits = decisions.filter((d) => d.rule === rule.name);
            return {
              rule: rule.name,
              send: rule.send,
              to: rule.to,
              fires: hits.length > 0,
              subjects: hits.map((h) => h.subject),
              details: hits.flatMap((h) => h.details),
            };
          }),
        };
        if (options.json) {
          printJson(result);
          return;
        }
        process.stdout.write(
          `event ${facts.id} ${facts.type} (${facts.label}; ${facts.category}; via ${facts.source})\n`,
        );
        if (result.rules.length === 0) {
          process.stdout.write(
            "no rules configured (PORTCALL_CONFIG rules, or PORTCALL_SLACK_WEBHOOK_URL for the built-in ones)\n",
          );
          return;
        }
        process.stdout.write(
          `${formatTable(
            ["rule", "fires", "send", "to", "why"],
            result.rules.map((r) => [
              r.rule,
              r.fires ? "yes" : "no",
              r.send,
              r.to.join(", "),
              r.details.join("; ") || null,
            ]),
          )}\n`,
        );
        if (facts.source !== "webhook" && decisions.length === 0) {
          process.stdout.write(
            `\nthis event arrived by ${facts.source}: rules skip history unless they set "history: true"\n`,
          );
        }
      });
    });
}
