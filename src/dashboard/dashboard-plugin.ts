import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import fastifyCookie from "@fastify/cookie";
import fastifyRateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { packagePath } from "../paths.js";
import type { DeliveryLog } from "../server/delivery-log.js";
import { withTimeout } from "../server/with-timeout.js";
import type { EventStore } from "../stores/store.js";
import { createDashboardAuth } from "./dashboard-auth.js";
import type { DashboardContext, DashboardRequest, DashboardResult } from "./handler-types.js";
import { createRenderer, type PageFrame } from "./render.js";
import { DASHBOARD_ROUTES } from "./routes.js";

export const DASHBOARD_BASE = "/ui";
const SESSION_COOKIE = "portcall_session";
const CATCH_UP_EVERY_MS = 1000;
const CATCH_UP_SLICE_MS = 250;

/** Options for the dashboard plugin (registered under /ui by buildApp). */
export interface DashboardOptions {
  readonly password: string;
  /** A header an identity-aware proxy sets (e.g. x-goog-authenticated-user-email), trusted when present. */
  readonly trustedHeader?: string | undefined;
  readonly sessionHours: number;
  /** The dashboard reads through `store.reports()` and the store's event and reject queries. */
  readonly store: EventStore;
  readonly deliveries: DeliveryLog;
  readonly logger: Logger;
  /** Sign-in attempts allowed per client address per window. */
  readonly signInLimit?: { readonly max: number; readonly windowMs: number };
  readonly readyTimeoutMs?: number;
}

// No inline script or style anywhere: every script and stylesheet is a file portcall serves.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const require = createRequire(import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  "dashboard.css": { file: packagePath("ui", "assets", "dashboard.css"), type: "text/css; charset=utf-8" },
  "dashboard.js": {
    file: packagePath("ui", "assets", "dashboard.js"),
    type: "text/javascript; charset=utf-8",
  },
  "uplot.js": {
    file: require.resolve("uplot/dist/uPlot.iife.min.js"),
    type: "text/javascript; charset=utf-8",
  },
  "uplot.css": { file: require.resolve("uplot/dist/uPlot.min.css"), type: "text/css; charset=utf-8" },
};
/** Readable before signing in: the sign-in page and its stylesheet, nothing with data. */
const PUBLIC_PATHS = new Set([`${DASHBOARD_BASE}/sign-in`, `${DASHBOARD_BASE}/assets/dashboard.css`]);

interface Access {
  readonly who: string;
  readonly session: string | undefined;
}

declare module "fastify" {
  interface FastifyRequest {
    dashboardAccess?: Access;
  }
}

export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const auth = createDashboardAuth({
    password: options.password,
    sessionMs: options.sessionHours * 3_600_000,
  });
  const render = createRenderer();
  const assets = new Map(
    Object.entries(ASSETS).map(([name, asset]) => [
      name,
      { body: readFileSync(asset.file), type: asset.type },
    ]),
  );
  const reports = options.store.reports();
  const { store, logger } = options;
  const context: DashboardContext = {
    reports,
    store,
    deliveries: options.deliveries,
    storeReady: async () => {
      try {
        await withTimeout(store.ping(), options.readyTimeoutMs ?? 2000, "store did not answer in time");
        return { ready: true };
      } catch (error) {
        return { ready: false, error: error instanceof Error ? error.message : String(error) };
      }
    },
  };

  // A large backlog of events to summarise (after an upgrade or a backfill) is caught up in
  // the background, a bounded slice at a time, so no page waits for all of it; on SQLite the
  // store's writer thread does it between deliveries, off the receiver's event loop.
  const catchUp = reports.startCatchUp({
    everyMs: CATCH_UP_EVERY_MS,
    sliceMs: CATCH_UP_SLICE_MS,
    onError: (error) => logger.warn({ err: error }, "dashboard summaries: refresh failed"),
  });
  app.addHook("onClose", () => catchUp.stop());

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });

  const frame = (request: FastifyRequest, title: string, nav: string): PageFrame => {
    const access = request.dashboardAccess;
    return {
      title,
      base: DASHBOARD_BASE,
      nav,
      csrf: access?.session === undefined ? undefined : auth.csrfToken(access.session),
      who: access?.who ?? "",
    };
  };
  const sendPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    view: string,
    title: string,
    data: Record<string, unknown>,
  ) =>
    reply
      .code(status)
      .type("text/html; charset=utf-8")
      .send(render(view, frame(request, title, navOf(view)), data));

  app.addHook("onRequest", async (request, reply) => {
    reply.header("content-security-policy", CSP);
    reply.header("x-content-type-options", "nosniff");
    reply.header("x-frame-options", "DENY");
    reply.header("referrer-policy", "no-referrer");
    reply.header("cache-control", "no-store");
    const path = request.url.split("?")[0] ?? "";
    if (PUBLIC_PATHS.has(path)) return;
    const access = accessOf(request);
    if (access !== undefined) {
      request.dashboardAccess = access;
      return;
    }
    if (request.method === "GET" && (request.headers.accept ?? "").includes("text/html")) {
      return reply
        .code(303)
        .header("location", `${DASHBOARD_BASE}/sign-in?next=${encodeURIComponent(request.url)}`)
        .send();
    }
    return reply
      .code(401)
      .header("www-authenticate", 'Basic realm="portcall dashboard", charset="UTF-8"')
      .type("text/plain; charset=utf-8")
      .send("sign in at /ui/sign-in, or send the dashboard password with HTTP Basic auth (any user name)\n");
  });

  const accessOf = (request: FastifyRequest): Access | undefined => {
    if (options.trustedHeader !== undefined) {
      const user = request.headers[options.trustedHeader];
      if (typeof user === "string" && user.trim() !== "") return { who: user.trim(), session: undefined };
    }
    if (auth.checkBasic(request.headers.authorization)) return { who: "password", session: undefined };
    const session = request.cookies[SESSION_COOKIE];
    if (auth.checkSession(session)) return { who: "password", session };
    return undefined;
  };

  app.get("/sign-in", async (request, reply) =>
    sendPage(request, reply, 200, "sign-in", "Sign in", {
      next: safeNext(queryOf(request).next),
      error: undefined,
    }),
  );

  const limit = options.signInLimit ?? { max: 10, windowMs: 5 * 60_000 };
  app.post(
    "/sign-in",
    {
      bodyLimit: 4096,
      config: {
        rateLimit: {
          max: limit.max,
          timeWindow: limit.windowMs,
          errorResponseBuilder: (_request, context) => ({
            statusCode: 429,
            message: `too many sign-in attempts; try again in ${Math.ceil(context.ttl / 1000)} s`,
          }),
        },
      },
    },
    async (request, reply) => {
      const form = new URLSearchParams(Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "");
      const next = safeNext(form.get("next") ?? undefined);
      if (!auth.checkPassword(form.get("password") ?? "")) {
        logger.warn({ ip: request.ip, outcome: "refused" }, "dashboard sign-in");
        return sendPage(request, reply, 401, "sign-in", "Sign in", {
          next,
          error: "That password is not right.",
        });
      }
      logger.info({ ip: request.ip, outcome: "signed_in" }, "dashboard sign-in");
      const secure = isHttps(request);
      return reply
        .setCookie(SESSION_COOKIE, auth.issueSession(), {
          path: DASHBOARD_BASE,
          httpOnly: true,
          sameSite: "strict",
          secure,
          maxAge: options.sessionHours * 3600,
        })
        .redirect(next, 303);
    },
  );

  // The one state-changing action: a POST carrying the session's form token.
  app.post("/sign-out", { bodyLimit: 4096 }, async (request, reply) => {
    const form = new URLSearchParams(Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "");
    const session = request.dashboardAccess?.session;
    if (!auth.checkCsrf(session, form.get("csrf") ?? undefined)) {
      logger.warn({ ip: request.ip, outcome: "csrf_refused" }, "dashboard sign-out");
      return sendPage(request, reply, 403, "not-found", "Refused", {
        message:
          "This form is out of date (its CSRF token does not match your session). Reload the page and try again.",
      });
    }
    logger.info({ ip: request.ip, outcome: "signed_out" }, "dashboard sign-out");
    return reply
      .clearCookie(SESSION_COOKIE, { path: DASHBOARD_BASE })
      .redirect(`${DASHBOARD_BASE}/sign-in`, 303);
  });

  app.get("/assets/:name", async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name);
    if (asset === undefined)
      return sendPage(request, reply, 404, "not-found", "Not found", { message: "No such file." });
    return reply.header("cache-control", "private, max-age=3600").type(asset.type).send(asset.body);
  });

  for (const route of DASHBOARD_ROUTES) {
    app.get(route.path, async (request, reply) => {
      const plain: DashboardRequest = {
        params: request.params as Record<string, string>,
        query: queryOf(request),
      };
      const result: DashboardResult = await route.handler(plain, context);
      if (result.kind === "file") {
        return reply
          .header("content-disposition", `attachment; filename="${result.filename}"`)
          .type(result.contentType)
          .send(result.body);
      }
      return sendPage(request, reply, result.status, result.view, result.title, { ...result.data });
    });
  }

  app.setNotFoundHandler((request, reply) =>
    sendPage(request, reply, 404, "not-found", "Not found", { message: "There is no dashboard page here." }),
  );

  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 429) {
      return sendPage(request, reply, 429, "sign-in", "Sign in", {
        next: `${DASHBOARD_BASE}/`,
        error: error.message ?? "too many sign-in attempts",
      });
    }
    if (status >= 500) logger.error({ err: error, url: request.url }, "dashboard request failed");
    return sendPage(request, reply, Math.min(status, 500), "not-found", "Error", {
      message: status >= 500 ? "internal error" : "This request could not be read.",
    });
  });
}

function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  const query = request.query as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(query).map(([k, v]) => [
      k,
      typeof v === "string" ? v : Array.isArray(v) ? String(v[0]) : undefined,
    ]),
  );
}

/** Only a dashboard path is a place to go after signing in: never another site. */
function safeNext(next: string | undefined): string {
  if (
    next === undefined ||
    !next.startsWith(`${DASHBOARD_BASE}/`) ||
    next.startsWith("//") ||
    next.includes("\\")
  )
    return `${DASHBOARD_BASE}/`;
  return next;
}

function isHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers["x-forwarded-proto"];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
  return proto === "https" || (request.raw.socket as { encrypted?: boolean }).encrypted === true;
}

function navOf(view: string): string {
  if (view === "health" || view === "reject") return "health";
  return "shipments";
}
