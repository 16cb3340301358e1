import { readFileSync, writeFileSync } from "node:fs";
import { packagePath } from "../paths.js";
import { catalogueBigQueryRows, catalogueInsertSql, replaceBlock } from "./catalogue-sql.js";

/**
 * The SQL files that hold a rendered copy of the catalogue. After editing catalogue.ts, run
 * `node dist/src/milestones/write-catalogue-sql.js`; a catalogue change for databases that
 * already applied migration 003 also needs a new migration that replaces the rows.
 */
export const CATALOGUE_SQL_FILES = [
  { path: ["sql", "sqlite", "003_milestone_views.sql"], render: () => catalogueInsertSql() },
  { path: ["sql", "postgres", "003_milestone_views.sql"], render: () => catalogueInsertSql() },
  { path: ["sql", "bigquery", "flexport_milestones.sql"], render: () => catalogueBigQueryRows() },
] as const;

export function writeCatalogueSql(): string[] {
  return CATALOGUE_SQL_FILES.map(({ path, render }) => {
    const file = packagePath(...path);
    writeFileSync(file, replaceBlock(readFileSync(file, "utf8"), render()));
    return path.join("/");
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of writeCatalogueSql()) process.stdout.write(`rendered the catalogue into ${file}\n`);
}
