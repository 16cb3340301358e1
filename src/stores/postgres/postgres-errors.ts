import { ConfigError } from "../../config/env.js";

/**
 * A connection or privilege failure in the words of the settings that cause it: which
 * variable, which part of it (host, port, database, role) to check. The driver's own
 * messages (`connect ECONNREFUSED …`, `Connection terminated unexpectedly`) name none of
 * them. Never includes the password. A wrong setting is a ConfigError (exit 2); a server
 * that is down or unreachable is a runtime failure (exit 1). Undefined: not such a failure.
 */
export function explainPostgresError(
  error: unknown,
  connectionString: string,
  schema: string,
): Error | undefined {
  const code = (error as { code?: unknown }).code;
  const driverMessage = error instanceof Error ? error.message : String(error);
  const target = describeTarget(connectionString);
  const at = `DATABASE_URL: PostgreSQL at ${target.host}:${target.port}, database "${target.database}", role "${target.role}"`;
  switch (code) {
    case "ECONNREFUSED":
      return new Error(`${at}: connection refused; check the host and port, and that PostgreSQL is running`, {
        cause: error,
      });
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new ConfigError([`${at}: host "${target.host}" not found; check the host`]);
    case "3D000":
      return new ConfigError([
        `${at}: database "${target.database}" does not exist; check the database name`,
      ]);
    case "28000":
    case "28P01":
      return new ConfigError([
        `${at}: role "${target.role}" was refused (${driverMessage}); check the role and its password`,
      ]);
    case "42501":
      return new ConfigError([
        `${at}: permission denied (${driverMessage}); check the role's privileges on schema "${schema}" (PORTCALL_DB_SCHEMA; see docs/postgres.md)`,
      ]);
  }
  if (/timeout|terminated unexpectedly|ETIMEDOUT|ECONNRESET|EHOSTUNREACH/i.test(`${code} ${driverMessage}`)) {
    return new Error(
      `${at}: the connection failed or timed out (${driverMessage}); check the host, port and TLS settings, and PORTCALL_PG_CONNECT_TIMEOUT_MS`,
      { cause: error },
    );
  }
  return undefined;
}

function describeTarget(connectionString: string) {
  let url: URL | undefined;
  try {
    url = new URL(connectionString);
  } catch {
    // Not a URL (a keyword/value string): say what we can.
  }
  return {
    host: url?.hostname || "localhost",
    port: url?.port || "5432",
    database:
      decodeURIComponent(url?.pathname.replace(/^\//, "") ?? "") || decodeURIComponent(url?.username ?? ""),
    role: decodeURIComponent(url?.username ?? "") || "(default)",
  };
}
