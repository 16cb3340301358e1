import * as z from "zod";
import { ConfigError, type Env, integer, parseEnv } from "../config/env.js";

export const DEFAULT_FLEXPORT_API_URL = "https://api.flexport.com";
/** The audience Flexport's token endpoint expects, whatever base URL the API is reached by. */
export const FLEXPORT_OAUTH_AUDIENCE = "https://api.flexport.com";

export type FlexportCredentials =
  | { readonly kind: "api-key"; readonly token: string }
  | { readonly kind: "client-credentials"; readonly clientId: string; readonly clientSecret: string };

/** How to reach Flexport's API, from the environment. */
export interface FlexportApiConfig {
  /** Base URL without a trailing slash (FLEXPORT_API_URL). */
  readonly apiUrl: string;
  readonly credentials: FlexportCredentials;
  /** Attempts per request before giving up (PORTCALL_BACKFILL_MAX_ATTEMPTS). */
  readonly maxAttempts: number;
}

const httpUrl = z
  .string()
  .trim()
  .regex(/^https?:\/\/[^/?#]+(\/[^?#]*)?$/, { message: "must be an http(s) URL without query or fragment" });

const envSchema = z.object({
  FLEXPORT_API_URL: httpUrl.default(DEFAULT_FLEXPORT_API_URL),
  FLEXPORT_API_TOKEN: z.string().trim().optional(),
  FLEXPORT_CLIENT_ID: z.string().trim().optional(),
  FLEXPORT_CLIENT_SECRET: z.string().optional(),
  PORTCALL_BACKFILL_MAX_ATTEMPTS: integer(1, 20).default(6),
});

/** Throws ConfigError naming each variable that is wrong or missing; never echoes a credential. */
export function loadFlexportApiConfig(env: Env): FlexportApiConfig {
  const e = parseEnv(envSchema, env);
  const hasClient = e.FLEXPORT_CLIENT_ID !== undefined || e.FLEXPORT_CLIENT_SECRET !== undefined;
  let credentials: FlexportCredentials;
  if (e.FLEXPORT_API_TOKEN !== undefined && hasClient) {
    throw new ConfigError([
      "FLEXPORT_API_TOKEN and FLEXPORT_CLIENT_ID/FLEXPORT_CLIENT_SECRET are both set; set only one way to authenticate",
    ]);
  } else if (e.FLEXPORT_API_TOKEN !== undefined) {
    credentials = { kind: "api-key", token: e.FLEXPORT_API_TOKEN };
  } else if (e.FLEXPORT_CLIENT_ID !== undefined && e.FLEXPORT_CLIENT_SECRET !== undefined) {
    credentials = {
      kind: "client-credentials",
      clientId: e.FLEXPORT_CLIENT_ID,
      clientSecret: e.FLEXPORT_CLIENT_SECRET,
    };
  } else if (hasClient) {
    const missing = e.FLEXPORT_CLIENT_ID === undefined ? "FLEXPORT_CLIENT_ID" : "FLEXPORT_CLIENT_SECRET";
    throw new ConfigError([`${missing}: is required with OAuth client credentials`]);
  } else {
    throw new ConfigError([
      "FLEXPORT_API_TOKEN: is required to read Flexport's events API (or set FLEXPORT_CLIENT_ID and FLEXPORT_CLIENT_SECRET)",
    ]);
  }
  return {
    apiUrl: e.FLEXPORT_API_URL.replace(/\/+$/, ""),
    credentials,
    maxAttempts: e.PORTCALL_BACKFILL_MAX_ATTEMPTS,
  };
}

export const DEFAULT_LOGISTICS_API_URL = "https://logistics-api.flexport.com";
export const DEFAULT_LOGISTICS_API_VERSION = "2024-07";

const logisticsEnvSchema = z.object({
  FLEXPORT_LOGISTICS_API_URL: httpUrl.default(DEFAULT_LOGISTICS_API_URL),
  FLEXPORT_LOGISTICS_API_VERSION: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}$/, { message: "must be a version such as 2024-07" })
    .default(DEFAULT_LOGISTICS_API_VERSION),
  FLEXPORT_LOGISTICS_API_TOKEN: z.string().trim().optional(),
  PORTCALL_BACKFILL_MAX_ATTEMPTS: integer(1, 20).default(6),
});

/** The Logistics API events list: base URL with the version path, and its bearer token. */
export function loadLogisticsApiConfig(env: Env): FlexportApiConfig {
  const e = parseEnv(logisticsEnvSchema, env);
  if (e.FLEXPORT_LOGISTICS_API_TOKEN === undefined) {
    throw new ConfigError([
      "FLEXPORT_LOGISTICS_API_TOKEN: is required to read the Logistics API events list (a bearer token)",
    ]);
  }
  const root = e.FLEXPORT_LOGISTICS_API_URL.replace(/\/+$/, "");
  return {
    apiUrl: `${root}/logistics/api/${e.FLEXPORT_LOGISTICS_API_VERSION}`,
    credentials: { kind: "api-key", token: e.FLEXPORT_LOGISTICS_API_TOKEN },
    maxAttempts: e.PORTCALL_BACKFILL_MAX_ATTEMPTS,
  };
}
