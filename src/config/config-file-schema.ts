import * as z from "zod";
import { destinationsSchema, rulesSchema } from "../alerts/alerts-config.js";
import { sourcesSchema } from "../sources/sources-config.js";
import type { Config } from "./config.js";
import { loadConfigFile } from "./config-file.js";

/**
 * Every section of the PORTCALL_CONFIG file, in one place. Each feature keeps the schema
 * of its own section in its own module and adds one key here; unknown keys are refused, so
 * a misspelt section name is an error rather than a silently ignored block.
 */
export const configFileSchema = z
  .object({
    sources: sourcesSchema.optional(),
    destinations: destinationsSchema.optional(),
    rules: rulesSchema.optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;

/** The validated file PORTCALL_CONFIG names, or an empty configuration when it is unset. */
export function readConfigFile(config: Pick<Config, "configFile">): ConfigFile {
  return config.configFile === undefined ? {} : loadConfigFile(config.configFile, configFileSchema);
}
