import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Config, ConfigError, splitSecrets } from "./config.js";

export interface ResolvedSecrets {
  readonly secrets: readonly string[];
  /** Where they came from, for the start-up message (never the secret itself). */
  readonly source: "env" | "file" | "generated" | "data-dir";
  readonly path?: string;
}

export const GENERATED_SECRET_FILE = "webhook-secret";

export function generatedSecretPath(config: Config): string {
  return resolve(join(config.dataDir, GENERATED_SECRET_FILE));
}

/**
 * Finds the webhook secrets: FLEXPORT_WEBHOOK_SECRET, else the file FLEXPORT_WEBHOOK_SECRET_FILE
 * names (a mounted Secret Manager secret, say), else the one portcall generated in its data
 * folder. With `generate`, a missing secret is created (mode 0600) so that `serve` never
 * accepts unsigned input; without it, a missing secret is an error.
 */
export function resolveSecrets(config: Config, options: { generate: boolean }): ResolvedSecrets {
  if (config.secrets.length > 0) return { secrets: config.secrets, source: "env" };
  if (config.secretFile !== undefined) {
    return {
      secrets: readSecretFile(config.secretFile, "FLEXPORT_WEBHOOK_SECRET_FILE"),
      source: "file",
      path: config.secretFile,
    };
  }
  const path = generatedSecretPath(config);
  if (existsSync(path)) {
    return { secrets: readSecretFile(path, `the generated secret (${path})`), source: "data-dir", path };
  }
  if (!options.generate) {
    throw new ConfigError([
      `FLEXPORT_WEBHOOK_SECRET: not set, and no generated secret at ${path} (start "portcall serve" once, or set it)`,
    ]);
  }
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return { secrets: [secret], source: "generated", path };
}

function readSecretFile(path: string, what: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new ConfigError([`${what}: cannot read ${path} (${code})`]);
  }
  const secrets = splitSecrets(text);
  if (secrets.length === 0) throw new ConfigError([`${what}: ${path} is empty`]);
  return secrets;
}
