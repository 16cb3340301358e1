import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { splitSecrets } from "../config/config.js";
import { ConfigError } from "../config/env.js";
import { DEFAULT_SOURCE } from "../core/event-recorder.js";
import { type LogisticsAuth, logisticsAuthHeaders } from "../core/logistics-auth.js";
import {
  createFreightSource,
  createLogisticsSource,
  type ReceiveConfig,
  type ReceivingSource,
} from "../core/receive.js";
import { signBody } from "../core/signature.js";
import type { SourceSection, SourcesSection } from "./sources-config.js";

/** A source ready to receive, and what a sender needs to deliver to it. */
export interface ConfiguredSource {
  readonly receiving: ReceivingSource;
  /** The methods its route accepts: POST for freight; POST and PUT for the Logistics API. */
  readonly methods: readonly ("POST" | "PUT")[];
  /** The headers that authenticate a body to this source, as Flexport would send them. */
  credentialHeaders(body: Uint8Array): Record<string, string>;
}

export type SourceRegistry = ReadonlyMap<string, ConfiguredSource>;

export interface RegistryOptions {
  /** The default source (/webhooks/flexport): FLEXPORT_WEBHOOK_SECRET and friends. */
  readonly defaultSource: ReceiveConfig;
  /** The PORTCALL_CONFIG path: relative *_file paths are read from its folder. */
  readonly configFile?: string | undefined;
}

/**
 * Builds every source once at start (secret files read, credentials fixed), so a delivery
 * only looks its source up by name. Problems name the field, never the secret.
 */
export function createSourceRegistry(
  sources: SourcesSection | undefined,
  options: RegistryOptions,
): SourceRegistry {
  const registry = new Map<string, ConfiguredSource>();
  registry.set(DEFAULT_SOURCE, freight(DEFAULT_SOURCE, options.defaultSource));
  const problems: string[] = [];
  const baseDir = options.configFile === undefined ? process.cwd() : dirname(resolve(options.configFile));
  for (const [name, section] of Object.entries(sources ?? {})) {
    try {
      registry.set(name, build(name, section, options.defaultSource.maxBodyBytes, baseDir));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return registry;
}

function build(
  name: string,
  section: SourceSection,
  maxBodyBytes: number,
  baseDir: string,
): ConfiguredSource {
  const field = (key: string) => `sources.${name}.${key}`;
  const read = (key: string, path: string) => readCredential(resolveFrom(baseDir, path), field(key));
  if (section.api === "freight") {
    const secrets =
      section.secrets ??
      (section.secret_file !== undefined
        ? [read("secret_file", section.secret_file)]
        : splitSecrets(read("secrets_file", section.secrets_file ?? "")));
    if (secrets.length === 0) throw new ConfigError([`${field("secrets_file")}: holds no secret`]);
    return freight(name, { secrets, acceptSha1: section.accept_sha1 ?? true, maxBodyBytes });
  }
  let auth: LogisticsAuth;
  if (section.auth === "token") {
    const token = section.token ?? read("token_file", section.token_file ?? "");
    auth = { kind: "token", header: (section.token_header ?? "").toLowerCase(), tokens: [token] };
  } else if (section.auth === "basic") {
    const password = section.password ?? read("password_file", section.password_file ?? "");
    auth = { kind: "basic", credentials: [{ username: section.username ?? "", password }] };
  } else {
    auth = { kind: "none" };
  }
  const receiving = createLogisticsSource(name, { auth, maxBodyBytes, defaultType: section.event_type });
  const headers = logisticsAuthHeaders(auth);
  return { receiving, methods: ["POST", "PUT"], credentialHeaders: () => headers };
}

function freight(name: string, config: ReceiveConfig): ConfiguredSource {
  const secret = config.secrets[0] ?? "";
  return {
    receiving: createFreightSource(name, config),
    methods: ["POST"],
    credentialHeaders: (body) => signBody(body, secret),
  };
}

function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** The whole file without its trailing newline (a password may hold spaces or commas). */
function readCredential(path: string, field: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError([
      `${field}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    ]);
  }
  const value = text.replace(/\r?\n$/, "");
  if (value.length === 0) throw new ConfigError([`${field}: ${path} is empty`]);
  return value;
}
