import type { Command } from "commander";
import { type CliContext, UsageError } from "../context.js";
import { printJson } from "../table.js";

export function registerEvent(program: Command, cli: CliContext): void {
  program
    .command("event")
    .description("show one stored event")
    .argument("<id>", "Flexport event id")
    .option("--raw", "write the exact stored bytes to stdout, nothing else")
    .action(async (id: string, options: { raw?: boolean }) => {
      await cli.withStore(async (store) => {
        const event = await store.getEvent(id);
        if (event === undefined) throw new UsageError(`no event with id ${id}`);
        if (options.raw) {
          await new Promise<void>((resolve, reject) =>
            process.stdout.write(event.payload, (error) => (error ? reject(error) : resolve())),
          );
          return;
        }
        const { payload, ...summary } = event;
        let parsed: unknown = payload;
        try {
          parsed = JSON.parse(payload);
        } catch {
          // Stored events always parse; keep the text if one somehow does not.
        }
        printJson({ ...summary, payload: parsed });
      });
    });
}
