import { z } from "zod";
import type { Config } from "./config.js";
import { loadConfigFile } from "./config-file.js";

/**
 * Every section of the PORTCALL_CONFIG file, in one place. Each feature keeps the schema
 * of its own section in its own module and adds one key here; unknown keys are refused, so
 * a misspelt section name is an error rather than a silently ignored block.
 */
export const configFileSchema = z.object({}).strict();

export type ConfigFile = z.infer<typeof configFileSchema>;

/** The validated file PORTCALL_CONFIG names, or an empty configuration when it is unset. */
export function readConfigFile(config: Pick<Config, "configFile">): ConfigFile {
  return config.configFile === undefined ? {} : loadConfigFile(config.configFile, configFileSchema);
}
