import type { Config } from "../config/config.js";
import { locateProblems } from "../config/config-file.js";
import { readConfigFile } from "../config/config-file-schema.js";
import { ConfigError, type Env } from "../config/env.js";
import { type AlertsConfig, resolveAlertsConfig } from "./alerts-config.js";

/** The alerting configuration serve and the CLI share: PORTCALL_CONFIG's sections plus the environment. */
export function configuredAlerts(config: Config, env: Env): AlertsConfig {
  const file = readConfigFile(config);
  try {
    return resolveAlertsConfig(file, env);
  } catch (error) {
    // The file parsed; these problems are in its values (an unknown destination, an unset
    // urlEnv variable): point at the line, as for the file's own mistakes.
    if (error instanceof ConfigError && config.configFile !== undefined) {
      throw new ConfigError(locateProblems(config.configFile, error.problems));
    }
    throw error;
  }
}
