import * as z from "zod";

/** A source name becomes a URL path segment (/webhooks/flexport/<name>) and a label value. */
export const SOURCE_NAME = /^[a-z0-9](?:[a-z0-9_-]{0,62})$/;

const nonEmpty = z.string().min(1, { message: "must not be empty" });
const filePath = z.string().trim().min(1, { message: "must be a file path" });

const freightSourceSchema = z
  .object({
    api: z.literal("freight"),
    secrets: z.array(nonEmpty).min(1, { message: "must hold at least one secret" }).optional(),
    secret_file: filePath.optional(),
    secrets_file: filePath.optional(),
    accept_sha1: z.boolean().optional(),
  })
  .strict()
  .superRefine((source, ctx) => {
    const given = (["secrets", "secret_file", "secrets_file"] as const).filter(
      (k) => source[k] !== undefined,
    );
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: given.length === 0 ? [] : [given[1] ?? "secrets"],
        message:
          given.length === 0
            ? "a freight source needs secrets, secret_file or secrets_file"
            : `set only one of secrets, secret_file, secrets_file (got ${given.join(", ")})`,
      });
    }
  });

const logisticsSourceSchema = z
  .object({
    api: z.literal("logistics"),
    auth: z.enum(["token", "basic", "none"], { message: "must be token, basic or none" }),
    token_header: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { message: "must be an HTTP header name" })
      .optional(),
    token: nonEmpty.optional(),
    token_file: filePath.optional(),
    username: nonEmpty.optional(),
    password: nonEmpty.optional(),
    password_file: filePath.optional(),
    allow_unauthenticated: z.boolean().optional(),
    event_type: z
      .string()
      .regex(/^[\w.]{1,50}$/, { message: "must be a Logistics API event type such as Return.Updated" })
      .optional(),
  })
  .strict()
  .superRefine((source, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const oneOf = (a: "token" | "password", b: "token_file" | "password_file", what: string) => {
      if (source[a] === undefined && source[b] === undefined) issue(a, `${what} needs ${a} or ${b}`);
      if (source[a] !== undefined && source[b] !== undefined) issue(b, `set only one of ${a} and ${b}`);
    };
    const unused = (keys: readonly (keyof typeof source)[]) => {
      for (const key of keys) {
        if (source[key] !== undefined) issue(key, `is not used with auth: ${source.auth}`);
      }
    };
    if (source.auth === "token") {
      if (source.token_header === undefined) issue("token_header", "auth: token needs token_header");
      if (source.token_header?.toLowerCase() === "authorization") {
        issue("token_header", "use auth: basic for the Authorization header");
      }
      oneOf("token", "token_file", "auth: token");
      unused(["username", "password", "password_file", "allow_unauthenticated"]);
    } else if (source.auth === "basic") {
      if (source.username === undefined) issue("username", "auth: basic needs username");
      if (source.username?.includes(":")) issue("username", "must not contain a colon (RFC 7617)");
      oneOf("password", "password_file", "auth: basic");
      unused(["token_header", "token", "token_file", "allow_unauthenticated"]);
    } else {
      if (source.allow_unauthenticated !== true) {
        issue(
          "allow_unauthenticated",
          "auth: none accepts anything anyone sends; set allow_unauthenticated: true to mean it",
        );
      }
      unused(["token_header", "token", "token_file", "username", "password", "password_file"]);
    }
  });

export const sourceSchema = z.discriminatedUnion("api", [freightSourceSchema, logisticsSourceSchema], {
  message: "api must be freight or logistics",
});

/** The `sources:` section of PORTCALL_CONFIG: name → source. */
export const sourcesSchema = z.record(z.string(), sourceSchema).superRefine((sources, ctx) => {
  for (const name of Object.keys(sources)) {
    if (!SOURCE_NAME.test(name)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "a source name must be 1-63 of a-z, 0-9, _ and -, starting with a letter or digit",
      });
    } else if (name === "default") {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: '"default" is the source of /webhooks/flexport (FLEXPORT_WEBHOOK_SECRET); pick another name',
      });
    }
  }
});

export type SourcesSection = z.infer<typeof sourcesSchema>;
export type SourceSection = z.infer<typeof sourceSchema>;
