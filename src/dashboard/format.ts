/** Formatting helpers the templates call; every result is plain text, escaped by the template. */

const DATE_TIME: Intl.DateTimeFormatOptions = {
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
};
const utcFormat = new Intl.DateTimeFormat("en-GB", { ...DATE_TIME, timeZone: "UTC" });

/** "13 Feb 2024, 20:37 UTC" */
export function utc(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return "—";
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${utcFormat.format(ms)} UTC`;
}

const localFormats = new Map<string, Intl.DateTimeFormat | null>();

/** The time at the place, e.g. "13 Feb 2024, 20:37 GMT-8"; UTC when the zone is unknown. */
export function local(iso: string | null | undefined, timeZone: string | null | undefined): string {
  if (iso === null || iso === undefined) return "—";
  if (timeZone === null || timeZone === undefined) return utc(iso);
  let format = localFormats.get(timeZone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat("en-GB", { ...DATE_TIME, timeZone, timeZoneName: "short" });
    } catch {
      format = null;
    }
    if (localFormats.size < 1000) localFormats.set(timeZone, format);
  }
  const ms = Date.parse(iso);
  if (format === null || Number.isNaN(ms)) return utc(iso);
  return format.format(ms);
}

/**
 * A date as Flexport wrote it, in the place's own time: "2024-02-13 22:00 (UTC-08:00)".
 * Flexport's dates carry the place's offset, so this is the local time people there see.
 */
export function placeDate(text: string | null | undefined): string {
  if (text === null || text === undefined) return "—";
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (match === null) return text;
  const offset = match[3] === undefined || match[3] === "Z" ? "UTC" : `UTC${match[3]}`;
  return `${match[1]} ${match[2]} (${offset})`;
}

/** "+2 d 10 h", "-3 h 5 min", "on time" */
export function slip(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds === 0) return "on time";
  const sign = seconds > 0 ? "+" : "-";
  let rest = Math.abs(seconds);
  const days = Math.floor(rest / 86_400);
  rest -= days * 86_400;
  const hours = Math.floor(rest / 3600);
  const minutes = Math.round((rest - hours * 3600) / 60);
  const parts: string[] = [];
  if (days > 0) parts.push(`${days} d`);
  if (hours > 0) parts.push(`${hours} h`);
  if (minutes > 0 && days === 0) parts.push(`${minutes} min`);
  return `${sign}${parts.join(" ") || "0 min"}`;
}

/** "Los Angeles, CA (USLAX)", or whichever part is known. */
export function place(name: string | null | undefined, code: string | null | undefined): string {
  if (name && code) return `${name} (${code})`;
  return name || code || "—";
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export const STATUS_LABELS: Readonly<Record<string, string>> = {
  "in-transit": "In transit",
  delivered: "Delivered",
  exception: "Exception",
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

/** A query string from the current filters with some replaced; empty values are left out. */
export function query(
  current: Readonly<Record<string, unknown>>,
  changes: Readonly<Record<string, unknown>> = {},
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...current, ...changes })) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}
