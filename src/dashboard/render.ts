import { Eta } from "eta";
import { packagePath } from "../paths.js";
import * as format from "./format.js";

export const UI_VIEWS_DIR = packagePath("ui", "views");

export interface PageFrame {
  readonly title: string;
  readonly base: string;
  /** Which navigation entry is current. */
  readonly nav: string;
  /** The form token for POSTs, when the request has a session (not for Basic or proxy access). */
  readonly csrf: string | undefined;
  /** Who is signed in: "password" or the proxy's user. */
  readonly who: string;
}

/** Renders ui/views templates; `<%= %>` escapes everything it prints (Eta's autoEscape). */
export function createRenderer() {
  const eta = new Eta({ views: UI_VIEWS_DIR, cache: true, autoEscape: true, autoTrim: [false, "nl"] });
  return (view: string, frame: PageFrame, data: Readonly<Record<string, unknown>>): string =>
    eta.render(view, { ...data, frame, f: format });
}
