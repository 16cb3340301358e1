import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { readConfigFile } from "../../config/config-file-schema.js";
import { resolveSecrets } from "../../config/secrets.js";
import { DEFAULT_SOURCE } from "../../core/event-recorder.js";
import { topLevelMemberSpan } from "../../core/top-level-member.js";
import { LOGISTICS_SAMPLES_DIR, loadSamples, SAMPLES_DIR, type SampleFile } from "../../samples/samples.js";
import { postDelivery } from "../../send/sign-and-post.js";
import { createSourceRegistry } from "../../sources/source-registry.js";
import { type CliContext, positiveIntOption, UsageError } from "../context.js";

interface SendOptions {
  readonly sample?: boolean;
  readonly pick?: string[];
  readonly freshIds?: boolean;
  readonly count?: string;
  readonly source: string;
  readonly method?: string;
}

/** The members that hold an event's id and type, per API. */
const MEMBERS = {
  freight: { id: "id", type: "type" },
  logistics: { id: "logisticsEventId", type: "logisticsEventType" },
} as const;

export function registerSend(program: Command, cli: CliContext): void {
  program
    .command("send")
    .description(
      "sign (freight) or authenticate (Logistics API) files as a configured source and send them, as Flexport would",
    )
    .argument("<url>", "the webhook endpoint, e.g. http://127.0.0.1:8080/webhooks/flexport")
    .argument("[files...]", "JSON files to send, each as its exact bytes")
    .option(
      "--sample",
      "send all of portcall's built-in samples (Logistics API samples for a logistics source)",
    )
    .option(
      "--pick <sample>",
      "send the samples with this file name (e.g. 01-shipment-created) or event type (e.g. /shipment#created); repeatable",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("--fresh-ids", "give every body sent a new unique event id (then signed), so each is stored anew")
    .option("--count <n>", "send the whole selection this many times (default: 1)")
    .option("--source <name>", "authenticate as this source of PORTCALL_CONFIG", DEFAULT_SOURCE)
    .option("--method <method>", "POST or PUT (PUT only for a logistics source)", "POST")
    .action(async (url: string, files: string[], options: SendOptions) => {
      if (!/^https?:\/\//.test(url))
        throw new UsageError(`<url>: "${url}" must start with http:// or https://`);
      const method = (options.method ?? "POST").toUpperCase();
      if (method !== "POST" && method !== "PUT") {
        throw new UsageError(`--method: "${options.method}" must be POST or PUT`);
      }
      const count = positiveIntOption("--count", options.count) ?? 1;
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
      const members = MEMBERS[source.receiving.api];

      const chosen: { name: string; bytes: Uint8Array }[] = [];
      if (options.sample || options.pick !== undefined) {
        const dir = source.receiving.api === "logistics" ? LOGISTICS_SAMPLES_DIR : SAMPLES_DIR;
        const samples = pickSamples(
          loadSamples(dir),
          options.sample ? undefined : options.pick,
          members.type,
        );
        chosen.push(...samples.map((s) => ({ name: `sample ${s.name}`, bytes: s.bytes })));
      }
      for (const file of files) chosen.push({ name: file, bytes: await readFile(file) });
      if (chosen.length === 0) throw new UsageError("nothing to send: name files, or use --sample or --pick");
      const fresh = createIdMinter();
      const bodies = Array.from({ length: count }, () =>
        chosen.map((b) =>
          options.freshIds ? { name: b.name, bytes: withMember(b.bytes, members.id, fresh()) } : b,
        ),
      ).flat();

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

/** The samples named (file name, with or without .json) or typed by each pick; all without picks. */
function pickSamples(
  samples: readonly SampleFile[],
  picks: readonly string[] | undefined,
  typeMember: string,
): SampleFile[] {
  if (picks === undefined) return [...samples];
  const typeOf = (s: SampleFile) =>
    (JSON.parse(s.bytes.toString("utf8")) as Record<string, unknown>)[typeMember];
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

/**
 * The same bytes with one top-level member's value replaced by `id` (a number for a
 * numeric value, a string for a string one); everything else stays as it was.
 */
function withMember(bytes: Uint8Array, member: string, id: string): Uint8Array {
  const text = Buffer.from(bytes).toString("utf8");
  const span = topLevelMemberSpan(text, member);
  if (span === undefined) return bytes;
  const old = text.slice(span[0], span[1]);
  const value = old.startsWith('"') ? JSON.stringify(id) : id;
  return Buffer.from(`${text.slice(0, span[0])}${value}${text.slice(span[1])}`, "utf8");
}
