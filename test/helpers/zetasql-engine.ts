import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

// Google's GoogleSQL analyzer and reference engine (ZetaSQL), as the gRPC "local service"
// binary that @fivetrandevelopers/zetasql ships: a native executable (no Java), started here
// on 127.0.0.1 and spoken to with @grpc/grpc-js over the package's own .proto files.

/** The GoogleSQL types the views use. */
export type ZetaSqlType = "STRING" | "TIMESTAMP" | "JSON" | "BOOL" | "INT64";

export interface ZetaSqlColumn {
  readonly name: string;
  readonly type: ZetaSqlType;
}

/** A table for the engine's catalog: values as JS (ISO-8601 text for TIMESTAMP, text for JSON). */
export interface ZetaSqlTable {
  readonly columns: readonly ZetaSqlColumn[];
  readonly rows: readonly (readonly (string | boolean | number | null)[])[];
}

export interface ZetaSqlResult {
  readonly columns: ZetaSqlColumn[];
  /** TIMESTAMP as ISO-8601 UTC (milliseconds, or microseconds when there are any), INT64 as number. */
  readonly rows: (string | boolean | number | null)[][];
}

export interface ZetaSqlEngine {
  /** Runs one query on the reference engine over `tables` (name → content); all in one request. */
  query(sql: string, tables: Readonly<Record<string, ZetaSqlTable>>): Promise<ZetaSqlResult>;
  /** Resolves one statement with the analyzer; the resolved tree as the service returns it. */
  analyze(sql: string, tables: Readonly<Record<string, ZetaSqlTable>>): Promise<unknown>;
  close(): Promise<void>;
}

const PACKAGE = "@fivetrandevelopers/zetasql";

interface GrpcError extends Error {
  code?: number;
  details?: string;
}
type Call = (request: unknown) => Promise<Record<string, unknown>>;

/** Where the server binary for this machine is, or why there is none. */
export function zetaSqlBinary(): { path: string } | { missing: string } {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(require.resolve(`${PACKAGE}/package.json`));
  } catch {
    return { missing: `${PACKAGE} is not installed (it is a devDependency: run npm ci)` };
  }
  // The names the package's own launcher uses: .so for Linux, _arm for arm64.
  const arch = process.arch === "arm64" ? "_arm" : process.arch === "x64" ? "" : undefined;
  const platform = process.platform === "linux" ? ".so" : process.platform === "darwin" ? "" : undefined;
  if (arch === undefined || platform === undefined) {
    return { missing: `${PACKAGE} ships no server for ${process.platform}/${process.arch}` };
  }
  const path = join(root, "lib", "zetasql", `remote_server${arch}${platform}`);
  return existsSync(path) ? { path } : { missing: `${path} is missing from the installed package` };
}

/**
 * Starts the reference engine on a loopback port (port 0: the kernel picks one, found in
 * /proc, since the server prints only the port it was given and gRPC listens with
 * SO_REUSEPORT, so a chosen port could silently be shared with another server). Throws
 * with the reason when it cannot start within `startTimeoutMs`.
 */
export async function startZetaSqlEngine(options: { startTimeoutMs?: number } = {}): Promise<ZetaSqlEngine> {
  const binary = zetaSqlBinary();
  if ("missing" in binary) throw new Error(binary.missing);
  if (!existsSync("/proc/net/tcp")) {
    throw new Error("finding the ZetaSQL server's port needs Linux's /proc (this is another system)");
  }
  const require = createRequire(import.meta.url);
  const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
  const protoLoader = require("@grpc/proto-loader") as typeof import("@grpc/proto-loader");
  const protos = join(dirname(binary.path), "protos");

  const child = spawn(binary.path, ["127.0.0.1", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `exited (${signal ?? code})`;
  });
  child.once("error", (error) => {
    exited = error.message;
  });

  // Never outlive the test process, even when it ends without calling close().
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const stop = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await gone;
  };

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
    let port: number | undefined;
    while (port === undefined) {
      if (exited !== undefined) throw new Error(`the ZetaSQL server ${exited}: ${output.trim()}`);
      if (Date.now() > deadline)
        throw new Error(`the ZetaSQL server did not listen in time: ${output.trim()}`);
      port = child.pid === undefined ? undefined : listeningPort(child.pid);
      if (port === undefined) await sleep(50);
    }
    const definition = protoLoader.loadSync("local_service.proto", {
      keepCase: true,
      defaults: false,
      oneofs: true,
      enums: String,
      longs: String,
      includeDirs: [protos],
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      zetasql: {
        local_service: { ZetaSqlLocalService: new (address: string, credentials: unknown) => unknown };
      };
    };
    const client = new loaded.zetasql.local_service.ZetaSqlLocalService(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    ) as Record<
      string,
      (request: unknown, callback: (error: GrpcError | null, response: unknown) => void) => void
    > & {
      close(): void;
    };
    const call =
      (method: string): Call =>
      (request) =>
        new Promise((resolve, reject) => {
          client[method]?.call(client, request, (error, response) => {
            if (error) reject(new Error(`ZetaSQL ${method}: ${error.details ?? error.message}`));
            else resolve(response as Record<string, unknown>);
          });
        });

    // Every GoogleSQL feature the engine has, in BigQuery's product mode (no INT32, UINT64, …).
    let language: Record<string, unknown> | undefined;
    while (language === undefined) {
      try {
        language = await call("getLanguageOptions")({ maximum_features: true });
      } catch (error) {
        if (Date.now() > deadline || exited !== undefined) throw error;
        await sleep(100);
      }
    }
    language.product_mode = "PRODUCT_EXTERNAL";
    // The statements sql/bigquery holds, for analyze(); queries for both.
    language.supported_statement_kinds = [
      "RESOLVED_QUERY_STMT",
      "RESOLVED_CREATE_TABLE_STMT",
      "RESOLVED_CREATE_VIEW_STMT",
    ];
    const catalogOf = (tables: Readonly<Record<string, ZetaSqlTable>>) => ({
      options: { language_options: language },
      simple_catalog: {
        table: Object.entries(tables).map(([name, table]) => ({
          name,
          column: table.columns.map((c) => ({ name: c.name, type: { type_kind: `TYPE_${c.type}` } })),
        })),
        builtin_function_options: { language_options: language },
      },
    });

    return {
      async query(sql, tables) {
        const response = await call("evaluateQuery")({
          sql,
          ...catalogOf(tables),
          table_content: Object.fromEntries(
            Object.entries(tables).map(([name, table]) => [
              name,
              {
                table_data: {
                  row: table.rows.map((row) => ({
                    cell: row.map((value, i) => encode(value, table.columns[i]?.type ?? "STRING")),
                  })),
                },
              },
            ]),
          ),
        });
        const prepared = response.prepared as { columns?: { name: string; type: { type_kind: string } }[] };
        const columns = (prepared.columns ?? []).map((c) => ({
          name: c.name,
          type: typeOf(c.type.type_kind),
        }));
        const content = response.content as { table_data?: { row?: { cell?: Record<string, unknown>[] }[] } };
        const rows = (content.table_data?.row ?? []).map((row) =>
          (row.cell ?? []).map((cell, i) => decode(cell, columns[i]?.type ?? "STRING")),
        );
        return { columns, rows };
      },
      analyze: (sql, tables) => call("analyze")({ sql_statement: sql, ...catalogOf(tables) }),
      async close() {
        client.close();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The TCP port process `pid` listens on, from /proc (Linux); undefined until it listens. */
function listeningPort(pid: number): number | undefined {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((inode): inode is string => inode !== undefined),
    );
  } catch {
    return undefined;
  }
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, the inode is the tenth field.
      if (fields[3] === "0A" && inodes.has(fields[9] ?? "")) {
        return Number.parseInt(fields[1]?.split(":")[1] ?? "", 16);
      }
    }
  }
  return undefined;
}

function typeOf(kind: string): ZetaSqlType {
  const type = kind.replace(/^TYPE_/, "");
  if (type === "STRING" || type === "TIMESTAMP" || type === "JSON" || type === "BOOL" || type === "INT64") {
    return type;
  }
  throw new Error(`a view returned a ${type} column, which the comparison does not handle`);
}

function encode(value: string | boolean | number | null, type: ZetaSqlType): Record<string, unknown> {
  if (value === null) return {}; // a ValueProto with no value is NULL
  switch (type) {
    case "STRING":
      return { string_value: String(value) };
    case "JSON":
      return { json_value: String(value) };
    case "BOOL":
      return { bool_value: value === true };
    case "INT64":
      return { int64_value: String(value) };
    case "TIMESTAMP": {
      const micros = isoToMicros(String(value));
      const seconds = micros / 1_000_000n - (micros % 1_000_000n < 0n ? 1n : 0n);
      return {
        timestamp_value: { seconds: String(seconds), nanos: Number((micros - seconds * 1_000_000n) * 1000n) },
      };
    }
  }
}

function decode(cell: Record<string, unknown>, type: ZetaSqlType): string | boolean | number | null {
  const kind = cell.value as string | undefined;
  if (kind === undefined) return null;
  const value = cell[kind];
  switch (type) {
    case "STRING":
    case "JSON":
      return String(value);
    case "BOOL":
      return value === true;
    case "INT64":
      return Number(value);
    case "TIMESTAMP": {
      const { seconds, nanos } = value as { seconds?: string; nanos?: number };
      return microsToIso(BigInt(seconds ?? "0") * 1_000_000n + BigInt(Math.trunc((nanos ?? 0) / 1000)));
    }
  }
}

/** ISO-8601 with up to 6 fractional digits → microseconds since the epoch (exact). */
function isoToMicros(iso: string): bigint {
  const match = /^(.*?)(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/.exec(iso);
  const ms = Date.parse(match === null ? iso : `${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${iso}`);
  const fraction = (match?.[2] ?? "").padEnd(6, "0");
  return BigInt(ms) * 1000n + BigInt(fraction);
}

/** Microseconds → ISO-8601 UTC with milliseconds, as SQLite's views print, or microseconds if any. */
function microsToIso(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const iso = new Date(Number(ms)).toISOString();
  const rest = micros - ms * 1000n;
  return rest === 0n ? iso : `${iso.slice(0, -1)}${String(rest).padStart(3, "0")}Z`;
}
