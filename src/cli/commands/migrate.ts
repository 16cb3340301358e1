import type { Command } from "commander";
import { configFromEnv, openConfiguredStore } from "../context.js";
import { formatTable } from "../table.js";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("create or upgrade the database schema (serve also does this at start)")
    .action(async () => {
      const store = await openConfiguredStore(configFromEnv());
      try {
        const results = await store.migrate();
        process.stdout.write(
          `${formatTable(
            ["version", "name", "status"],
            results.map((r) => [r.version, r.name, r.applied ? "applied now" : "already applied"]),
          )}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
