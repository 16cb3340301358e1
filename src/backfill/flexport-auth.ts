import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FLEXPORT_OAUTH_AUDIENCE, type FlexportCredentials } from "./backfill-config.js";
import { FlexportApiError, fetchWithRetry, type RetryOptions } from "./retry.js";

export const TOKEN_CACHE_FILE = "flexport-oauth-token.json";
/** A cached token is replaced this long before it expires, so no request races its expiry. */
export const TOKEN_REFRESH_MARGIN_MS = 10 * 60_000;
/** Flexport documents 24 h tokens; used when the response does not say. */
const DEFAULT_TOKEN_LIFETIME_S = 24 * 60 * 60;

export interface FlexportAuth {
  /** The Authorization header value. */
  authorization(): Promise<string>;
  /** After a 401: drops a cached OAuth token; false when there is nothing to refresh (API key). */
  invalidate(): boolean;
}

interface CachedToken {
  readonly client_id: string;
  /**
   * SHA-256 of the client secret the token was issued for: a rotated (or mistyped) secret
   * must reach the token endpoint now, not when the cached token expires a day later.
   */
  readonly secret_sha256: string;
  readonly token_url: string;
  readonly access_token: string;
  /** Epoch milliseconds. */
  readonly expires_at: number;
}

export interface FlexportAuthOptions {
  readonly apiUrl: string;
  readonly credentials: FlexportCredentials;
  /** Where the OAuth token is cached (mode 0600), shared by every run. */
  readonly dataDir: string;
  readonly retry: RetryOptions;
  readonly fetch?: typeof fetch;
}

/**
 * An API key is sent as is. Client credentials are exchanged for a token at
 * `<FLEXPORT_API_URL>/oauth/token`; Flexport caps token requests per day and a token lasts
 * 24 h, so it is cached on disk and reused by later runs until shortly before it expires.
 */
export function createFlexportAuth(options: FlexportAuthOptions): FlexportAuth {
  const given = options.credentials;
  if (given.kind === "api-key") {
    return { authorization: async () => `Bearer ${given.token}`, invalidate: () => false };
  }
  const credentials = given;
  const doFetch = options.fetch ?? fetch;
  const tokenUrl = `${options.apiUrl}/oauth/token`;
  const cachePath = join(options.dataDir, TOKEN_CACHE_FILE);
  const now = options.retry.now;
  const secretSha256 = createHash("sha256").update(credentials.clientSecret, "utf8").digest("hex");
  let current: CachedToken | undefined;

  const usable = (token: CachedToken | undefined): token is CachedToken =>
    token !== undefined &&
    token.client_id === credentials.clientId &&
    token.secret_sha256 === secretSha256 &&
    token.token_url === tokenUrl &&
    token.expires_at - TOKEN_REFRESH_MARGIN_MS > now();

  async function requestToken(): Promise<CachedToken> {
    const response = await fetchWithRetry(
      "OAuth token request",
      () =>
        doFetch(tokenUrl, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({
            client_id: credentials.clientId,
            client_secret: credentials.clientSecret,
            audience: FLEXPORT_OAUTH_AUDIENCE,
            grant_type: "client_credentials",
          }),
          signal: AbortSignal.timeout(30_000),
        }),
      options.retry,
    );
    if (!response.ok) {
      await response.body?.cancel();
      throw new FlexportApiError(
        `OAuth token request: HTTP ${response.status}; check FLEXPORT_CLIENT_ID and FLEXPORT_CLIENT_SECRET`,
        response.status,
      );
    }
    const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    const accessToken = body?.access_token;
    if (typeof accessToken !== "string" || accessToken.length === 0) {
      throw new FlexportApiError("OAuth token request: the response has no access_token", response.status);
    }
    const lifetime =
      typeof body?.expires_in === "number" && body.expires_in > 0
        ? body.expires_in
        : DEFAULT_TOKEN_LIFETIME_S;
    return {
      client_id: credentials.clientId,
      secret_sha256: secretSha256,
      token_url: tokenUrl,
      access_token: accessToken,
      expires_at: now() + lifetime * 1000,
    };
  }

  return {
    async authorization() {
      if (!usable(current)) current = readCache(cachePath);
      if (!usable(current)) {
        current = await requestToken();
        writeCache(options.dataDir, cachePath, current);
      }
      return `Bearer ${current.access_token}`;
    },
    invalidate() {
      current = { client_id: "", secret_sha256: "", token_url: "", access_token: "", expires_at: 0 };
      writeCache(options.dataDir, cachePath, current);
      return true;
    },
  };
}

function readCache(path: string): CachedToken | undefined {
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as Partial<CachedToken>;
    if (
      typeof value.client_id === "string" &&
      typeof value.secret_sha256 === "string" &&
      typeof value.token_url === "string" &&
      typeof value.access_token === "string" &&
      typeof value.expires_at === "number"
    ) {
      return value as CachedToken;
    }
  } catch {
    // Missing or unreadable: ask for a new token.
  }
  return undefined;
}

/** Written to a private temporary file and renamed, so a reader never sees half a token. */
function writeCache(dataDir: string, path: string, token: CachedToken): void {
  mkdirSync(dataDir, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(token)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
