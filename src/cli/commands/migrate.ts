import type { Command } from "commander";
import { configuredBigQuery } from "../../export/configured-sinks.js";
import { type CliContext, explainStoreError, openConfiguredStore } from "../context.js";
import { formatTable } from "../table.js";

export function registerMigrate(program: Command, cli: CliContext): void {
  program
    .command("migrate")
    .description("create or upgrade the database schema (serve also does this at start)")
    .action(async () => {
      const config = cli.config();
      const store = await openConfiguredStore(config);
      try {
        const results = await store.migrate().catch((error: unknown) => {
          throw explainStoreError(error, config);
        });
        process.stdout.write(
          `${formatTable(
            ["version", "name", "status"],
            results.map((r) => [r.version, r.name, r.applied ? "applied now" : "already applied"]),
          )}\n`,
        );
      } finally {
        await store.close();
      }
      // With BIGQUERY_TABLE set: the dataset, table, _dedup view and milestone views too (views
      // whose SQL changed are replaced).
      const bigquery = configuredBigQuery(cli.env);
      if (bigquery !== undefined) {
        const steps = await bigquery.migrate();
        process.stdout.write(
          `${formatTable(
            ["bigquery", "kind", "status"],
            steps.map((s) => [
              s.object,
              s.kind,
              s.skipped ??
                (s.replaced ? "replaced (SQL changed)" : s.applied ? "created now" : "already there"),
            ]),
          )}\n`,
        );
      }
    });
}
