import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { resolveSecrets } from "../../config/secrets.js";
import { loadSamples } from "../../samples/samples.js";
import { signAndPost } from "../../send/sign-and-post.js";
import { type CliContext, UsageError } from "../context.js";

export function registerSend(program: Command, cli: CliContext): void {
  program
    .command("send")
    .description("sign files with the configured webhook secret and POST them, as Flexport would")
    .argument("<url>", "the webhook endpoint, e.g. http://127.0.0.1:8080/webhooks/flexport")
    .argument("[files...]", "JSON files to send, each as its exact bytes")
    .option("--sample", "send portcall's built-in sample events")
    .action(async (url: string, files: string[], options: { sample?: boolean }) => {
      if (!/^https?:\/\//.test(url))
        throw new UsageError(`<url>: "${url}" must start with http:// or https://`);
      const bodies: { name: string; bytes: Uint8Array }[] = [];
      if (options.sample)
        bodies.push(...loadSamples().map((s) => ({ name: `sample ${s.name}`, bytes: s.bytes })));
      for (const file of files) bodies.push({ name: file, bytes: await readFile(file) });
      if (bodies.length === 0) throw new UsageError("nothing to send: name files, or use --sample");

      // The first secret is the current one during a rotation.
      const [secret] = resolveSecrets(cli.config(), { generate: false }).secrets;
      if (secret === undefined) throw new UsageError("no webhook secret configured");
      let failures = 0;
      for (const { name, bytes } of bodies) {
        try {
          const result = await signAndPost(url, bytes, secret);
          if (result.status < 200 || result.status >= 300) failures++;
          process.stdout.write(`${name}: ${result.status} ${result.body}\n`);
        } catch (error) {
          failures++;
          const cause =
            error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
          process.stdout.write(
            `${name}: failed to send (${error instanceof Error ? error.message : error}${cause})\n`,
          );
        }
      }
      process.stdout.write(`${bodies.length - failures} of ${bodies.length} accepted\n`);
      if (failures > 0) process.exitCode = 1;
    });
}
