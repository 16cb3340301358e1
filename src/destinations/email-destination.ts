import type { Transporter } from "nodemailer";
import { messageLines } from "../alerts/alert-message.js";
import { type Destination, DestinationError } from "./destination.js";

/** Options of an SMTP destination. */
export interface EmailOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** true: TLS from the first byte (port 465); false: STARTTLS, required unless `requireTls` is false. */
  readonly secure: boolean;
  readonly requireTls: boolean;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly from: string;
  readonly to: readonly string[];
  /** Accept a self-signed certificate (a local relay); default false. */
  readonly allowSelfSigned?: boolean | undefined;
  readonly timeoutMs?: number | undefined;
}

/** Email over SMTP with nodemailer (loaded when the destination is built). */
export async function createEmailDestination(options: EmailOptions): Promise<Destination> {
  // A CommonJS package: its module.exports is the default export both under Node's own
  // loader and in the esbuild bundle (where the named exports do not exist).
  const nodemailer = (await import("nodemailer")).default;
  const timeout = options.timeoutMs ?? 15_000;
  const transport: Transporter = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure,
    requireTLS: !options.secure && options.requireTls,
    ...(options.user !== undefined ? { auth: { user: options.user, pass: options.password ?? "" } } : {}),
    tls: { rejectUnauthorized: options.allowSelfSigned !== true },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  return {
    name: options.name,
    kind: "email",
    target: `smtp ${options.host}:${options.port} -> ${options.to.join(", ")}`,
    async send(outgoing) {
      const lines = messageLines(outgoing.message);
      try {
        await transport.sendMail({
          from: options.from,
          to: [...options.to],
          subject: `[portcall] ${outgoing.message.title}`,
          text: `${lines.join("\n")}\n`,
          // A stable Message-ID lets mail systems and people recognise a resend.
          messageId: `<${outgoing.id.replace(/[^A-Za-z0-9._-]/g, "_")}@portcall>`,
          headers: { "X-Portcall-Alert-Id": outgoing.id },
          ...(outgoing.event !== undefined
            ? {
                attachments: [
                  {
                    filename: `event-${outgoing.event.id}.json`,
                    content: outgoing.event.payload,
                    contentType: "application/json",
                  },
                ],
              }
            : {}),
        });
      } catch (error) {
        const e = error as { responseCode?: number; code?: string; message?: string };
        // nodemailer's messages quote the server, never the password.
        throw new DestinationError(
          `SMTP ${options.host}:${options.port}: ${e.code ?? ""} ${e.message ?? ""}`.trim(),
          e.responseCode,
          true,
        );
      }
    },
    async close() {
      transport.close();
    },
  };
}
