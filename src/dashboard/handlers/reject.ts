import { type DashboardHandler, notFound, page } from "../handler-types.js";
import { prettyJson } from "../pretty-json.js";

const SHOWN_BYTES = 64 * 1024;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** GET /ui/rejects/:sha256 : a quarantined body, as text when it is UTF-8, else as hex. */
export const rejectHandler: DashboardHandler = async (request, { store }) => {
  const sha = request.params.sha256 ?? "";
  const reject = /^[0-9a-f]{64}$/.test(sha) ? await store.getReject(sha) : undefined;
  if (reject === undefined) return notFound(`No quarantined body with SHA-256 ${sha}.`);
  const bytes = Buffer.from(reject.payload);
  const shown = bytes.subarray(0, SHOWN_BYTES);
  let text: string | undefined;
  try {
    text = strictUtf8.decode(shown);
  } catch {
    text = undefined;
  }
  return page("reject", `Quarantined body ${sha.slice(0, 12)}…`, {
    reject,
    text: text === undefined ? undefined : bytes.length <= SHOWN_BYTES ? prettyJson(text) : text,
    hex: text === undefined ? hexDump(shown) : undefined,
    truncated: bytes.length > SHOWN_BYTES,
    shownBytes: shown.length,
  });
};

/** GET /ui/rejects/:sha256/raw : the exact bytes received. */
export const rejectRawHandler: DashboardHandler = async (request, { store }) => {
  const sha = request.params.sha256 ?? "";
  const reject = /^[0-9a-f]{64}$/.test(sha) ? await store.getReject(sha) : undefined;
  if (reject === undefined) return notFound(`No quarantined body with SHA-256 ${sha}.`);
  return {
    kind: "file",
    contentType: "application/octet-stream",
    filename: `reject-${sha}.bin`,
    body: Buffer.from(reject.payload),
  };
};

function hexDump(bytes: Buffer): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const chunk = bytes.subarray(offset, offset + 16);
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join("\n");
}
