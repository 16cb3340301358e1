import type { Command } from "commander";
import { type CliContext, UsageError } from "../context.js";
import { printable, printJson } from "../table.js";

export function registerEvent(program: Command, cli: CliContext): void {
  program
    .command("event")
    .description("show one stored event")
    .argument("<id>", "Flexport event id")
    .option("--raw", "write the exact stored bytes to stdout, nothing else")
    .option("--json", "print the stored fields and the parsed payload as JSON for scripts")
    .action(async (id: string, options: { raw?: boolean; json?: boolean }) => {
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
        if (options.json) {
          printJson({ ...summary, payload: parsed });
          return;
        }
        // For people: the stored fields, then the payload indented (JSON escapes every
        // control character, so a supplier's text cannot drive the terminal).
        const fields = Object.entries(summary);
        const width = Math.max(...fields.map(([name]) => name.length));
        const lines = fields.map(
          ([name, value]) => `${name.padEnd(width)}  ${printable(String(value ?? "-"))}`,
        );
        process.stdout.write(`${lines.join("\n")}\npayload\n${JSON.stringify(parsed, null, 2)}\n`);
      });
    });
}
