import * as z from "zod";

// Each schema here parses once, at start: zod's compiled fast path (generated with
// new Function on an object schema's first parse) costs more to build than it saves.
z.config({ jitless: true });

/** A configuration mistake: every problem, each naming its variable (or file, line and field). */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The environment as every loader takes it: a parameter, so only entry points read process.env. */
export type Env = Readonly<Record<string, string | undefined>>;

/** An environment variable holding a whole number in [min, max]. */
export const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: "must be a whole number" })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );

export const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(["true", "false", "1", "0", "yes", "no", "on", "off"], { message: "must be true or false" }))
  .transform((v) => v === "true" || v === "1" || v === "yes" || v === "on");

/** Variables whose value never appears in a message: secrets, tokens, credentials, keys. */
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|CREDENTIAL|CLIENT_ID|_KEY\b/;

/**
 * How a value is quoted in a configuration message: not at all for a secret's variable, and
 * with any password in a URL replaced, so a message is always safe to log.
 */
export function shownValue(name: string, value: string | undefined): string {
  if (value === undefined || SECRET_NAME.test(name)) return "";
  return ` (got "${redactUrl(value)}")`;
}

/** Hides a password in a connection URL before it goes anywhere near a log. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}

/**
 * Validates the environment against a loader's schema. An empty variable means "not set",
 * as in most twelve-factor tools. Throws ConfigError listing every problem, each naming
 * its variable (and its value, unless the variable holds a secret).
 */
export function parseEnv<Schema extends z.ZodType>(schema: Schema, env: Env): z.output<Schema> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      return `${name}: ${issue.message}${shownValue(name, present[name])}`;
    }),
  );
}
