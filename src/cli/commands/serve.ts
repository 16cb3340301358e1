import type { Command } from "commander";
import { onGoogleCloud, resolveLogFormat } from "../../config/config.js";
import { resolveSecrets, resolveUiPassword } from "../../config/secrets.js";
import { type CliContext, explainStoreError } from "../context.js";

export function registerServe(program: Command, cli: CliContext): void {
  program
    .command("serve")
    .description(
      "receive Flexport webhooks over HTTP (configured by environment variables; see docs/configuration.md)",
    )
    .action(async () => {
      const config = cli.config();
      const secrets = resolveSecrets(config, { generate: true });
      const ui = config.ui.enabled ? resolveUiPassword(config) : undefined;
      // The HTTP stack loads only for this command, so the other commands start quickly.
      const [{ createLogger }, { startServer }, { WEBHOOK_PATH }] = await Promise.all([
        import("../../server/logger.js"),
        import("../../server/server.js"),
        import("../../server/webhook-path.js"),
      ]);
      const env = cli.env;
      const logger = createLogger({
        level: config.logLevel,
        format: resolveLogFormat(config.logFormat, env, process.stdout.isTTY === true),
        ...(env.K_SERVICE !== undefined ? { service: env.K_SERVICE } : {}),
        ...(env.GOOGLE_CLOUD_PROJECT !== undefined ? { project: env.GOOGLE_CLOUD_PROJECT } : {}),
        detectProject: onGoogleCloud(env),
      });
      if (secrets.source === "generated") {
        process.stderr.write(
          `\nNo FLEXPORT_WEBHOOK_SECRET was set, so portcall generated one and saved it (mode 0600) at\n` +
            `  ${secrets.path}\n` +
            `Give Flexport this secret with your webhook endpoint URL, or set FLEXPORT_WEBHOOK_SECRET to\n` +
            `the secret Flexport shows you. "portcall send" signs with the same secret.\n\n`,
        );
      }
      logger.info(
        {
          secrets: secrets.secrets.length,
          secretSource: secrets.source,
          secretPath: secrets.path,
          acceptSha1: config.acceptSha1,
        },
        "webhook secrets loaded",
      );
      if (ui?.source === "generated") {
        process.stderr.write(
          `No PORTCALL_UI_PASSWORD was set, so portcall generated a dashboard password and saved it\n` +
            `(mode 0600) at\n  ${ui.path}\nSign in to the dashboard under /ui/ with it (PORTCALL_UI=false turns the dashboard off).\n\n`,
        );
      }
      const server = await startServer(config, secrets, logger, cli.env, ui?.password).catch(
        (error: unknown) => {
          throw explainStoreError(error, config);
        },
      );
      logger.info({ url: `${server.url}${WEBHOOK_PATH}` }, "listening");
      if (ui !== undefined) {
        logger.info(
          { url: `${server.url}/ui/`, passwordSource: ui.source, passwordPath: ui.path },
          "dashboard",
        );
      }

      // Exit once the server is closed and the log flushed, rather than when the event loop
      // drains: a background call (the log formatter asking the metadata server for the
      // project, a client's idle socket) must not hold the process past Cloud Run's 10 s.
      const exit = (code: number) => logger.flush(() => process.exit(code));
      const shutdown = (signal: string) => {
        logger.info({ signal }, "shutting down: finishing in-flight deliveries");
        server.close().then(
          () => {
            logger.info("stopped");
            exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, "shutdown failed");
            exit(1);
          },
        );
      };
      process.once("SIGTERM", () => shutdown("SIGTERM"));
      process.once("SIGINT", () => shutdown("SIGINT"));
    });
}
