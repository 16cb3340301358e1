import * as z from "zod";
import { BOARD_FLAGS, BOARD_SORTS, type BoardQuery, SHIPMENT_STATUSES } from "../../stores/reports.js";
import { badRequest, type DashboardHandler, PAGE_REFRESH_BUDGET_MS, page } from "../handler-types.js";

export const PAGE_SIZE = 50;

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" || v === undefined ? undefined : v), schema.optional());

const boardParams = z.object({
  q: optional(z.string().trim().max(200, { message: "must be at most 200 characters" })),
  status: optional(z.enum(SHIPMENT_STATUSES, { message: `must be one of ${SHIPMENT_STATUSES.join(", ")}` })),
  mode: optional(z.string().trim().max(40, { message: "must be at most 40 characters" })),
  source: optional(z.string().trim().max(63, { message: "must be at most 63 characters" })),
  flag: optional(z.enum(BOARD_FLAGS, { message: `must be one of ${BOARD_FLAGS.join(", ")}` })),
  sort: optional(z.enum(BOARD_SORTS, { message: `must be one of ${BOARD_SORTS.join(", ")}` })),
  dir: optional(z.enum(["asc", "desc"], { message: "must be asc or desc" })),
  page: optional(
    z
      .string()
      .regex(/^\d{1,6}$/, { message: "must be a whole number" })
      .transform(Number)
      .pipe(z.number().min(1, { message: "must be at least 1" })),
  ),
});

/** GET /ui/ : every shipment, filtered, searched, sorted and paginated. */
export const boardHandler: DashboardHandler = async (request, { reports }) => {
  const parsed = boardParams.safeParse(request.query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return badRequest(`query parameter "${String(issue?.path[0] ?? "?")}": ${issue?.message ?? "invalid"}`);
  }
  const p = parsed.data;
  const sort = p.sort ?? "activity";
  const descending = (p.dir ?? (sort === "activity" || sort === "events" ? "desc" : "asc")) === "desc";
  const pageNumber = p.page ?? 1;
  const query: BoardQuery = {
    status: p.status,
    mode: p.mode,
    flag: p.flag,
    source: p.source,
    search: p.q === "" ? undefined : p.q,
    sort,
    descending,
    offset: (pageNumber - 1) * PAGE_SIZE,
    limit: PAGE_SIZE,
  };
  await reports.refresh(PAGE_REFRESH_BUDGET_MS);
  const [result, counts, modes, sources, pending] = await Promise.all([
    reports.board(query),
    reports.statusCounts(),
    reports.modes(),
    reports.shipmentSources(),
    reports.pendingSummaries(),
  ]);
  const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
  const filters = {
    q: p.q ?? "",
    status: p.status ?? "",
    mode: p.mode ?? "",
    flag: p.flag ?? "",
    source: p.source ?? "",
  };
  return page("board", "Shipments", {
    rows: result.rows,
    total: result.total,
    counts,
    modes,
    // Only worth a filter when shipments came through more than one source.
    sources: sources.length > 1 || p.source !== undefined ? sources : [],
    filters,
    sort,
    dir: descending ? "desc" : "asc",
    page: pageNumber,
    pages,
    statuses: SHIPMENT_STATUSES,
    pending,
  });
};
