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
  return { secrets: [generateSecretFile(config.dataDir, path)], source: "generated", path };
}

export const GENERATED_UI_PASSWORD_FILE = "ui-password";

export interface ResolvedUiPassword {
  readonly password: string;
  readonly source: "env" | "file" | "generated" | "data-dir";
  readonly path?: string;
}

/**
 * The dashboard password: PORTCALL_UI_PASSWORD, else the file PORTCALL_UI_PASSWORD_FILE
 * names, else the one portcall generated (mode 0600) in its data folder, created when missing.
 */
export function resolveUiPassword(config: Config): ResolvedUiPassword {
  const ui = config.ui;
  if (ui.password !== undefined) return { password: ui.password, source: "env" };
  if (ui.passwordFile !== undefined) {
    return {
      password: readPassword(ui.passwordFile, "PORTCALL_UI_PASSWORD_FILE"),
      source: "file",
      path: ui.passwordFile,
    };
  }
  const path = resolve(join(config.dataDir, GENERATED_UI_PASSWORD_FILE));
  if (existsSync(path)) {
    return {
      password: readPassword(path, `the generated dashboard password (${path})`),
      source: "data-dir",
      path,
    };
  }
  return { password: generateSecretFile(config.dataDir, path), source: "generated", path };
}

function readPassword(path: string, what: string): string {
  const password = readText(path, what).trim();
  if (password.length < 8) throw new ConfigError([`${what}: ${path} holds fewer than 8 characters`]);
  return password;
}

/** A new random secret in a file only its owner can read; fails rather than overwrite one. */
function generateSecretFile(dir: string, path: string): string {
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return secret;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new ConfigError([`${what}: cannot read ${path} (${code})`]);
  }
}

function readSecretFile(path: string, what: string): string[] {
  const secrets = splitSecrets(readText(path, what));
  if (secrets.length === 0) throw new ConfigError([`${what}: ${path} is empty`]);
  return secrets;
}
