import * as z from "zod";
import { parseDuration } from "../config/duration.js";
import { ConfigError, integer } from "../config/env.js";
import { DEFAULT_SOURCE } from "../core/event-recorder.js";
import { CATEGORIES } from "../milestones/catalogue.js";
import { CONDITIONS, DEFAULT_ETA_SLIP_HOURS, DEFAULT_FREE_TIME_HOURS, type Rule } from "./rule-engine.js";

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
  message: "must be lower-case letters, digits, - or _ (at most 63)",
});
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: "must be an environment variable name" });
const url = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" });
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);

const common = {
  /** Failed sends before a message goes to the dead letters. */
  maxAttempts: z.number().int().min(1).max(1000).default(12),
  /** A daily digest at this time, "HH:MM" UTC. */
  digest: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a time of day, "HH:MM" (UTC)' })
    .optional(),
};

const slack = z
  .object({ type: z.literal("slack"), url: url.optional(), urlEnv: envName.optional(), ...common })
  .strict();
const webhook = z
  .object({
    type: z.literal("webhook"),
    url,
    secret: z.string().startsWith("whsec_", { message: "must start with whsec_" }).optional(),
    secretEnv: envName.optional(),
    ...common,
  })
  .strict();
const email = z
  .object({
    type: z.literal("email"),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    secure: z.boolean().default(false),
    requireTls: z.boolean().default(true),
    allowSelfSigned: z.boolean().default(false),
    user: z.string().min(1).optional(),
    passwordEnv: envName.optional(),
    from: z.string().min(3),
    to: oneOrMany(z.email({ message: "must be an email address" })),
    ...common,
  })
  .strict();

/** The `destinations` section: a map from name to destination. */
export const destinationsSchema = z.record(name, z.discriminatedUnion("type", [slack, webhook, email]));

const when = z
  .object({
    source: oneOrMany(z.string().min(1)).optional(),
    types: oneOrMany(
      z.string().startsWith("/", { message: "must be a Flexport event type, e.g. /shipment_leg#arrived" }),
    ).optional(),
    categories: oneOrMany(z.enum([...CATEGORIES, "other"])).optional(),
    shipment: z.record(z.string().min(1), oneOrMany(z.union([z.string(), z.number()]))).optional(),
    condition: z.enum(CONDITIONS).optional(),
    etaSlipHours: z.number().positive().optional(),
    freeTimeHours: z.number().positive().optional(),
    history: z.boolean().optional(),
  })
  .strict();

/** The `rules` section: a list of rules, each naming its destinations. */
export const rulesSchema = z.array(
  z
    .object({
      name,
      when: when.default({}),
      send: z.enum(["alert", "event"]).default("alert"),
      to: oneOrMany(name),
    })
    .strict(),
);

export type DestinationSpec = z.infer<typeof destinationsSchema>[string];

/** The alerting configuration, after the file and the environment are combined. */
export interface AlertsConfig {
  readonly destinations: readonly ResolvedDestination[];
  readonly rules: readonly Rule[];
  /** PORTCALL_PUBLIC_URL: where the dashboard is reached, for links. */
  readonly publicUrl: string | undefined;
  /** PORTCALL_ALERT_LEASE_MS: how long a destination's claimed batch is reserved. */
  readonly leaseMs: number;
  /** PORTCALL_ALERT_UNAUTHORIZED_PER_MIN: unauthorized deliveries a minute that alert (0: never). */
  readonly unauthorizedPerMinute: number;
  /** PORTCALL_ALERT_NO_WEBHOOK_AFTER: silence that alerts; undefined: never. */
  readonly silenceMs: number | undefined;
}

export type ResolvedDestination = DestinationCommon &
  (
    | { readonly name: string; readonly type: "slack"; readonly url: string; readonly maxAttempts: number }
    | {
        readonly name: string;
        readonly type: "webhook";
        readonly url: string;
        readonly secret: string;
        readonly maxAttempts: number;
      }
    | {
        readonly name: string;
        readonly type: "email";
        readonly host: string;
        readonly port: number;
        readonly secure: boolean;
        readonly requireTls: boolean;
        readonly allowSelfSigned: boolean;
        readonly user: string | undefined;
        readonly password: string | undefined;
        readonly from: string;
        readonly to: readonly string[];
        readonly maxAttempts: number;
      }
  );

interface DestinationCommon {
  /** The daily digest's time, "HH:MM" UTC; none when unset. */
  readonly digest?: string | undefined;
}

/** The built-in alerts PORTCALL_SLACK_WEBHOOK_URL turns on, and that `builtin` rules name. */
export function builtinRules(to: readonly string[]): Rule[] {
  return [
    { name: "customs-holds", send: "alert", to, when: { condition: "customs_hold" } },
    { name: "exceptions", send: "alert", to, when: { condition: "exception" } },
    {
      name: "eta-slips",
      send: "alert",
      to,
      when: { condition: "eta_slip", etaSlipHours: DEFAULT_ETA_SLIP_HOURS },
    },
    {
      name: "free-time",
      send: "alert",
      to,
      when: { condition: "free_time", freeTimeHours: DEFAULT_FREE_TIME_HOURS },
    },
  ];
}

export const ZERO_CONFIG_DESTINATION = "slack";

const list = <T>(v: T | readonly T[]): T[] => (Array.isArray(v) ? [...v] : [v as T]);

/**
 * Combines the file's `destinations` and `rules` with the environment. With no file sections
 * and PORTCALL_SLACK_WEBHOOK_URL set, the built-in rules go to a destination named `slack`.
 * Throws ConfigError naming the field or variable.
 */
export function resolveAlertsConfig(
  file: {
    destinations?: z.infer<typeof destinationsSchema> | undefined;
    rules?: z.infer<typeof rulesSchema> | undefined;
    /** The file's `sources` section; when present, a rule's `source` must name one of them (or `default`). */
    sources?: Readonly<Record<string, unknown>> | undefined;
  },
  env: Readonly<Record<string, string | undefined>>,
): AlertsConfig {
  const problems: string[] = [];
  const publicUrl = nonEmpty(env.PORTCALL_PUBLIC_URL);
  if (publicUrl !== undefined && !url.safeParse(publicUrl).success)
    problems.push("PORTCALL_PUBLIC_URL: must be an http(s) URL");
  const fromEnv = (field: string, variable: string | undefined): string | undefined => {
    if (variable === undefined) return undefined;
    const value = nonEmpty(env[variable]);
    if (value === undefined) problems.push(`${field}: environment variable ${variable} is not set`);
    return value;
  };

  const destinations: ResolvedDestination[] = [];
  for (const [destName, spec] of Object.entries(file.destinations ?? {})) {
    const at = `destinations.${destName}`;
    if (spec.type === "slack") {
      const value = spec.url ?? fromEnv(`${at}.urlEnv`, spec.urlEnv);
      if (spec.url === undefined && spec.urlEnv === undefined) problems.push(`${at}: needs url or urlEnv`);
      if (value !== undefined)
        destinations.push({
          name: destName,
          type: "slack",
          url: value,
          maxAttempts: spec.maxAttempts,
          digest: spec.digest,
        });
    } else if (spec.type === "webhook") {
      const secret = spec.secret ?? fromEnv(`${at}.secretEnv`, spec.secretEnv);
      if (spec.secret === undefined && spec.secretEnv === undefined)
        problems.push(`${at}: needs secret or secretEnv`);
      else if (secret !== undefined && !secret.startsWith("whsec_"))
        problems.push(`${at}.secretEnv: ${spec.secretEnv} must start with whsec_`);
      if (secret !== undefined)
        destinations.push({
          name: destName,
          type: "webhook",
          url: spec.url,
          secret,
          maxAttempts: spec.maxAttempts,
          digest: spec.digest,
        });
    } else {
      destinations.push({
        name: destName,
        type: "email",
        host: spec.host,
        port: spec.port,
        secure: spec.secure,
        requireTls: spec.requireTls,
        allowSelfSigned: spec.allowSelfSigned,
        user: spec.user,
        password: fromEnv(`${at}.passwordEnv`, spec.passwordEnv),
        from: spec.from,
        to: list(spec.to),
        maxAttempts: spec.maxAttempts,
        digest: spec.digest,
      });
    }
  }

  const slackUrl = nonEmpty(env.PORTCALL_SLACK_WEBHOOK_URL);
  if (slackUrl !== undefined) {
    if (!url.safeParse(slackUrl).success) problems.push("PORTCALL_SLACK_WEBHOOK_URL: must be an http(s) URL");
    else if (destinations.some((d) => d.name === ZERO_CONFIG_DESTINATION)) {
      problems.push(
        `PORTCALL_SLACK_WEBHOOK_URL: the configuration file already has a destination named ${ZERO_CONFIG_DESTINATION}`,
      );
    } else
      destinations.push({
        name: ZERO_CONFIG_DESTINATION,
        type: "slack",
        url: slackUrl,
        maxAttempts: 12,
        digest: nonEmpty(env.PORTCALL_SLACK_DIGEST_AT),
      });
  }

  const digestAt = nonEmpty(env.PORTCALL_SLACK_DIGEST_AT);
  if (digestAt !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(digestAt)) {
    problems.push(`PORTCALL_SLACK_DIGEST_AT: must be a time of day, "HH:MM" (UTC) (got "${digestAt}")`);
  }

  const rules: Rule[] = [];
  const known = new Set(destinations.map((d) => d.name));
  const seen = new Set<string>();
  (file.rules ?? []).forEach((rule, i) => {
    if (seen.has(rule.name)) problems.push(`rules.${i}.name: ${rule.name} is used by an earlier rule`);
    seen.add(rule.name);
    const to = list(rule.to);
    for (const d of to)
      if (!known.has(d) && file.destinations?.[d] === undefined)
        problems.push(`rules.${i}.to: no destination named ${d}`);
    const w = rule.when;
    const sources = w.source === undefined ? undefined : list(w.source);
    if (sources !== undefined && file.sources !== undefined)
      for (const s of sources)
        if (s !== DEFAULT_SOURCE && !Object.hasOwn(file.sources, s))
          problems.push(
            `rules.${i}.when.source: no source named ${s} (sources: ${knownSources(file.sources)})`,
          );
    rules.push({
      name: rule.name,
      send: rule.send,
      to,
      when: {
        sources,
        types: w.types === undefined ? undefined : list(w.types),
        categories: w.categories === undefined ? undefined : list(w.categories),
        shipment:
          w.shipment === undefined
            ? undefined
            : Object.fromEntries(Object.entries(w.shipment).map(([k, v]) => [k, list(v).map(String)])),
        condition: w.condition,
        etaSlipHours: w.etaSlipHours,
        freeTimeHours: w.freeTimeHours,
        history: w.history,
      },
    });
  });
  // The Slack variable sends the built-in alerts there, unless rules of the file already
  // say what goes to it.
  if (slackUrl !== undefined && !rules.some((r) => r.to.includes(ZERO_CONFIG_DESTINATION))) {
    for (const rule of builtinRules([ZERO_CONFIG_DESTINATION])) {
      if (seen.has(rule.name))
        problems.push(
          `PORTCALL_SLACK_WEBHOOK_URL: its built-in rule ${rule.name} has the name of a rule in the file`,
        );
      rules.push(rule);
    }
  }

  const lease = integer(100, 3_600_000).safeParse(nonEmpty(env.PORTCALL_ALERT_LEASE_MS) ?? "30000");
  if (!lease.success)
    problems.push(`PORTCALL_ALERT_LEASE_MS: ${lease.error.issues[0]?.message ?? "invalid"}`);
  const leaseMs = lease.success ? lease.data : 30_000;

  const perMinute = integer(0, 1_000_000).safeParse(
    nonEmpty(env.PORTCALL_ALERT_UNAUTHORIZED_PER_MIN) ?? "20",
  );
  if (!perMinute.success) {
    problems.push(`PORTCALL_ALERT_UNAUTHORIZED_PER_MIN: ${perMinute.error.issues[0]?.message ?? "invalid"}`);
  }
  const silence = nonEmpty(env.PORTCALL_ALERT_NO_WEBHOOK_AFTER);
  const silenceMs = silence === undefined ? undefined : parseDuration(silence);
  if (silence !== undefined && (silenceMs === undefined || silenceMs < 1000)) {
    problems.push(
      `PORTCALL_ALERT_NO_WEBHOOK_AFTER: must be a duration like 30m, 6h or 1d (got "${silence}")`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    destinations,
    rules,
    publicUrl,
    leaseMs,
    unauthorizedPerMinute: perMinute.success ? perMinute.data : 20,
    silenceMs,
  };
}

function knownSources(sources: Readonly<Record<string, unknown>>): string {
  return [DEFAULT_SOURCE, ...Object.keys(sources)].join(", ");
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
