import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { readConfigFile } from "../../config/config-file-schema.js";
import { resolveSecrets } from "../../config/secrets.js";
import { DEFAULT_SOURCE } from "../../core/event-recorder.js";
import { LOGISTICS_SAMPLES_DIR, loadSamples, SAMPLES_DIR } from "../../samples/samples.js";
import { postDelivery } from "../../send/sign-and-post.js";
import { createSourceRegistry } from "../../sources/source-registry.js";
import { type CliContext, UsageError } from "../context.js";

interface SendOptions {
  readonly sample?: boolean;
  readonly source: string;
  readonly method?: string;
}

export function registerSend(program: Command, cli: CliContext): void {
  program
    .command("send")
    .description(
      "sign (freight) or authenticate (Logistics API) files as a configured source and send them, as Flexport would",
    )
    .argument("<url>", "the webhook endpoint, e.g. http://127.0.0.1:8080/webhooks/flexport")
    .argument("[files...]", "JSON files to send, each as its exact bytes")
    .option("--sample", "send portcall's built-in samples (Logistics API samples for a logistics source)")
    .option("--source <name>", "authenticate as this source of PORTCALL_CONFIG", DEFAULT_SOURCE)
    .option("--method <method>", "POST or PUT (PUT only for a logistics source)", "POST")
    .action(async (url: string, files: string[], options: SendOptions) => {
      if (!/^https?:\/\//.test(url))
        throw new UsageError(`<url>: "${url}" must start with http:// or https://`);
      const method = (options.method ?? "POST").toUpperCase();
      if (method !== "POST" && method !== "PUT") {
        throw new UsageError(`--method: "${options.method}" must be POST or PUT`);
      }
      const config = cli.config();
      const sections = readConfigFile(config).sources;
      if (options.source !== DEFAULT_SOURCE && sections?.[options.source] === undefined) {
        const known = [DEFAULT_SOURCE, ...Object.keys(sections ?? {})].join(", ");
        throw new UsageError(`--source: no source "${options.source}" in PORTCALL_CONFIG (known: ${known})`);
      }
      // Only the default source needs FLEXPORT_WEBHOOK_SECRET.
      const secrets =
        options.source === DEFAULT_SOURCE ? resolveSecrets(config, { generate: false }).secrets : [];
      const registry = createSourceRegistry(sections, {
        defaultSource: { secrets, acceptSha1: config.acceptSha1, maxBodyBytes: config.maxBodyBytes },
        configFile: config.configFile,
      });
      const source = registry.get(options.source);
      if (source === undefined) throw new UsageError(`--source: no source "${options.source}"`);
      if (!source.methods.includes(method)) {
        throw new UsageError(
          `--method: source "${options.source}" accepts only ${source.methods.join(", ")}`,
        );
      }

      const bodies: { name: string; bytes: Uint8Array }[] = [];
      if (options.sample) {
        const dir = source.receiving.api === "logistics" ? LOGISTICS_SAMPLES_DIR : SAMPLES_DIR;
        bodies.push(...loadSamples(dir).map((s) => ({ name: `sample ${s.name}`, bytes: s.bytes })));
      }
      for (const file of files) bodies.push({ name: file, bytes: await readFile(file) });
      if (bodies.length === 0) throw new UsageError("nothing to send: name files, or use --sample");

      let failures = 0;
      for (const { name, bytes } of bodies) {
        try {
          const result = await postDelivery(url, bytes, source.credentialHeaders(bytes), method);
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
