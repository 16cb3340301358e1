import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Archive } from "./archive.js";
import type { RejectArchive } from "./rejects.js";

export interface OpenArchiveOptions {
  /** Cloud Storage API endpoint for gs:// (a local emulator); see GcsArchiveOptions. */
  readonly gcsApiEndpoint?: string;
  /** How errors name the setting; default ARCHIVE_URL. */
  readonly name?: string;
  /** file: only: the folder must already exist (reading one back, where a typo would read nothing). */
  readonly mustExist?: boolean;
}

const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/**
 * `file:<dir>` (relative to the working folder, or `file:///abs/dir`) or
 * `gs://<bucket>[/<prefix>]`. The Cloud Storage client loads only for gs://.
 */
export async function openArchive(
  url: string,
  options: OpenArchiveOptions = {},
): Promise<Archive & RejectArchive> {
  const name = options.name ?? "ARCHIVE_URL";
  if (url.startsWith("file:")) {
    let path = url.slice("file:".length);
    if (path.startsWith("//")) path = path.slice(2);
    if (path === "") throw new Error(`${name}: "${url}" needs a folder, e.g. file:./data/archive`);
    const dir = resolve(path);
    if (options.mustExist === true && !(await isFolder(dir))) {
      throw new Error(`${name}: folder "${path}" (${dir}) does not exist or is not a folder`);
    }
    const { createFileArchive } = await import("./file-archive.js");
    return createFileArchive({ dir });
  }
  if (url.startsWith("gs://")) {
    const rest = url.slice("gs://".length);
    const slash = rest.indexOf("/");
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    if (!BUCKET.test(bucket)) {
      throw new Error(`${name}: "${bucket}" in "${url}" is not a Cloud Storage bucket name`);
    }
    const path = slash === -1 ? "" : rest.slice(slash + 1).replace(/^\/+|\/+$/g, "");
    const { createGcsArchive } = await import("./gcs-archive.js");
    return createGcsArchive({
      bucket,
      prefix: path === "" ? "" : `${path}/`,
      ...(options.gcsApiEndpoint !== undefined ? { apiEndpoint: options.gcsApiEndpoint } : {}),
    });
  }
  throw new Error(`${name}: unsupported archive "${url}"; use file:<dir> or gs://<bucket>/<prefix>`);
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
