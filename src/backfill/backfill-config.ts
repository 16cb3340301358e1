import { z } from "zod";
import { ConfigError } from "../config/config.js";

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

const envSchema = z.object({
  FLEXPORT_API_URL: z
    .string()
    .trim()
    .regex(/^https?:\/\/[^/?#]+(\/[^?#]*)?$/, { message: "must be an http(s) URL without query or fragment" })
    .default(DEFAULT_FLEXPORT_API_URL),
  FLEXPORT_API_TOKEN: z.string().trim().optional(),
  FLEXPORT_CLIENT_ID: z.string().trim().optional(),
  FLEXPORT_CLIENT_SECRET: z.string().optional(),
  PORTCALL_BACKFILL_MAX_ATTEMPTS: z
    .string()
    .trim()
    .regex(/^\d+$/, { message: "must be a whole number" })
    .transform(Number)
    .pipe(
      z.number().int().min(1, { message: "must be at least 1" }).max(20, { message: "must be at most 20" }),
    )
    .default(6),
});

/** Throws ConfigError naming each variable that is wrong or missing; never echoes a credential. */
export function loadFlexportApiConfig(env: Readonly<Record<string, string | undefined>>): FlexportApiConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? "environment");
        const shown =
          name === "FLEXPORT_API_URL" || name.endsWith("_ATTEMPTS") ? ` (got "${present[name]}")` : "";
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
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
