import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { resolveSecrets } from "../../config/secrets.js";
import { topLevelMemberSpan } from "../../core/top-level-member.js";
import { loadSamples, type SampleFile } from "../../samples/samples.js";
import { signAndPost } from "../../send/sign-and-post.js";
import { type CliContext, positiveIntOption, UsageError } from "../context.js";

export function registerSend(program: Command, cli: CliContext): void {
  program
    .command("send")
    .description("sign files with the configured webhook secret and POST them, as Flexport would")
    .argument("<url>", "the webhook endpoint, e.g. http://127.0.0.1:8080/webhooks/flexport")
    .argument("[files...]", "JSON files to send, each as its exact bytes")
    .option("--sample", "send all of portcall's built-in sample events")
    .option(
      "--pick <sample>",
      "send the samples with this file name (e.g. 01-shipment-created) or event type (e.g. /shipment#created); repeatable",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("--fresh-ids", "give every body sent a new unique event id (then signed), so each is stored anew")
    .option("--count <n>", "send the whole selection this many times (default: 1)")
    .action(
      async (
        url: string,
        files: string[],
        options: { sample?: boolean; pick?: string[]; freshIds?: boolean; count?: string },
      ) => {
        if (!/^https?:\/\//.test(url))
          throw new UsageError(`<url>: "${url}" must start with http:// or https://`);
        const count = positiveIntOption("--count", options.count) ?? 1;
        const chosen: { name: string; bytes: Uint8Array }[] = [];
        if (options.sample || options.pick !== undefined) {
          const samples = pickSamples(loadSamples(), options.sample ? undefined : options.pick);
          chosen.push(...samples.map((s) => ({ name: `sample ${s.name}`, bytes: s.bytes })));
        }
        for (const file of files) chosen.push({ name: file, bytes: await readFile(file) });
        if (chosen.length === 0)
          throw new UsageError("nothing to send: name files, or use --sample or --pick");
        const fresh = createIdMinter();
        const bodies = Array.from({ length: count }, () =>
          chosen.map((b) => (options.freshIds ? { name: b.name, bytes: withEventId(b.bytes, fresh()) } : b)),
        ).flat();

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
      },
    );
}

/** The samples named (file name, with or without .json) or typed by each pick; all without picks. */
function pickSamples(samples: readonly SampleFile[], picks: readonly string[] | undefined): SampleFile[] {
  if (picks === undefined) return [...samples];
  const typeOf = (s: SampleFile) => (JSON.parse(s.bytes.toString("utf8")) as { type?: unknown }).type;
  return picks.flatMap((pick) => {
    const found = samples.filter((s) => s.name === pick || s.name === `${pick}.json` || typeOf(s) === pick);
    if (found.length === 0) {
      throw new UsageError(
        `--pick: no sample named or typed "${pick}"; the samples are:\n${samples.map((s) => `  ${s.name.replace(/\.json$/, "")}  ${typeOf(s)}`).join("\n")}`,
      );
    }
    return found;
  });
}

/** Ids that no earlier run has used: the clock in microseconds, then counting up. */
function createIdMinter(): () => string {
  let next = Date.now() * 1000;
  return () => String(next++);
}

/** The same bytes with the top-level id replaced; everything else stays as it was. */
function withEventId(bytes: Uint8Array, id: string): Uint8Array {
  const text = Buffer.from(bytes).toString("utf8");
  const span = topLevelMemberSpan(text, "id");
  if (span === undefined) return bytes;
  return Buffer.from(`${text.slice(0, span[0])}${id}${text.slice(span[1])}`, "utf8");
}
