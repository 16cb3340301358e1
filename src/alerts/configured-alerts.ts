import type { Config } from "../config/config.js";
import { readConfigFile } from "../config/config-file-schema.js";
import type { Env } from "../config/env.js";
import { type AlertsConfig, resolveAlertsConfig } from "./alerts-config.js";

/** The alerting configuration serve and the CLI share: PORTCALL_CONFIG's sections plus the environment. */
export function configuredAlerts(config: Config, env: Env): AlertsConfig {
  return resolveAlertsConfig(readConfigFile(config), env);
}
