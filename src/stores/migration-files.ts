import { readdirSync, readFileSync } from "node:fs";
import { packagePath } from "../paths.js";

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Reads `sql/<dialect>/NNN_name.sql` in version order. SQL lives in files people can read. */
export function loadMigrations(dialect: "sqlite" | "postgres"): MigrationFile[] {
  const dir = packagePath("sql", dialect);
  return readdirSync(dir)
    .map((file) => /^(\d+)_(.+)\.sql$/.exec(file))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({
      version: Number(match[1]),
      name: match[2] ?? "",
      sql: readFileSync(`${dir}/${match[0]}`, "utf8"),
    }))
    .sort((a, b) => a.version - b.version);
}
