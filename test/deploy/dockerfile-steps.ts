import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, isAbsolute, join, posix, relative } from "node:path";
import type { Ignore } from "@balena/dockerignore";
import { DockerfileParser, type Instruction } from "dockerfile-ast";

/**
 * A Dockerfile's stages as performed without Docker: each stage gets a folder standing in
 * for its filesystem root, and WORKDIR, ENV, COPY (from the build context as .dockerignore
 * leaves it, or --from an earlier stage) and RUN (`sh -c` in the stage's WORKDIR with its
 * ENV) happen in file order. Base images are not pulled: RUN uses this machine's Node and
 * tools. What only a container runtime does (USER, --chown, VOLUME, STOPSIGNAL, EXPOSE,
 * CMD) is returned for the caller to check and apply.
 */
export interface StageResult {
  readonly name: string;
  readonly image: string;
  /** Stands in for the stage's `/`. */
  readonly root: string;
  workdir: string;
  readonly env: Record<string, string>;
  user: string | undefined;
  readonly volumes: string[];
  readonly exposed: string[];
  stopSignal: string | undefined;
  cmd: string[];
  /** Each step as performed, with its time. */
  readonly log: string[];
}

export interface BuildOptions {
  readonly dockerfile: string;
  readonly context: string;
  readonly out: string;
  /** Added to each RUN's environment, as a builder's own settings would be (npm cache). */
  readonly runEnv: Record<string, string>;
  readonly runTimeoutMs: number;
}

// CommonJS whose types declare a default export: load it as what it is.
const dockerignore = createRequire(import.meta.url)("@balena/dockerignore") as (options?: {
  ignorecase?: boolean;
}) => Ignore;

interface Flagged {
  getFlags(): { getName(): string; getValue(): string | null }[];
}
interface WithProperties {
  getProperties(): { getName(): string; getValue(): string | null }[];
}

export function buildWithoutDocker(options: BuildOptions): StageResult[] {
  const file = DockerfileParser.parse(readFileSync(options.dockerfile, "utf8"));
  const args = new Map<string, string>();
  for (const arg of file.getARGs()) {
    const property = arg.getProperty();
    const value = property?.getValue();
    if (property !== null && property !== undefined && value !== null && value !== undefined) {
      args.set(property.getName(), value);
    }
  }
  const ignore = dockerignore({ ignorecase: false }).add(readIgnore(options.context));
  const froms = file.getFROMs();
  const stages: StageResult[] = [];
  let stage: StageResult | undefined;

  for (const instruction of file.getInstructions()) {
    const keyword = instruction.getKeyword();
    const text = instruction.getArgumentsContent() ?? "";
    if (keyword === "FROM") {
      const from = froms.find((f) => f.getRange().start.line === instruction.getRange().start.line);
      const name = from?.getBuildStage() ?? `stage${stages.length}`;
      const image = (from?.getImage() ?? "").replace(/\$\{(\w+)\}/g, (_m, a: string) => args.get(a) ?? "");
      stage = {
        name,
        image,
        root: join(options.out, name),
        workdir: "/",
        env: {},
        user: undefined,
        volumes: [],
        exposed: [],
        stopSignal: undefined,
        cmd: [],
        log: [`FROM ${image} AS ${name} (not pulled: steps run on this machine's Node ${process.version})`],
      };
      mkdirSync(stage.root, { recursive: true });
      stages.push(stage);
      continue;
    }
    if (stage === undefined) {
      if (keyword === "ARG") continue;
      throw new Error(`Dockerfile: ${keyword} before the first FROM`);
    }
    const current = stage;
    const inRoot = (path: string) => join(current.root, posix.resolve(current.workdir, path));
    switch (keyword) {
      case "ARG":
        break;
      case "WORKDIR":
        current.workdir = posix.resolve(current.workdir, text);
        mkdirSync(inRoot("."), { recursive: true });
        current.log.push(`WORKDIR ${current.workdir}`);
        break;
      case "ENV":
        for (const property of (instruction as unknown as WithProperties).getProperties()) {
          current.env[property.getName()] = property.getValue() ?? "";
        }
        current.log.push(`ENV ${text.replace(/\s+/g, " ")}`);
        break;
      case "COPY":
        copy(instruction, current, stages, inRoot, options.context, ignore);
        break;
      case "RUN": {
        const started = performance.now();
        const result = spawnSync("sh", ["-c", text], {
          cwd: inRoot("."),
          env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            ...current.env,
            ...options.runEnv,
          },
          encoding: "utf8",
          timeout: options.runTimeoutMs,
        });
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        current.log.push(`RUN ${text} (${seconds} s)`);
        if (result.status !== 0) {
          throw new Error(
            `RUN ${text} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
          );
        }
        break;
      }
      case "USER":
        current.user = text;
        break;
      case "VOLUME":
        current.volumes.push(...words(text));
        break;
      case "EXPOSE":
        current.exposed.push(...words(text));
        break;
      case "STOPSIGNAL":
        current.stopSignal = text;
        break;
      case "CMD":
        current.cmd = words(text);
        break;
      default:
        throw new Error(`Dockerfile: ${keyword} is not performed by this runner; extend it`);
    }
  }
  return stages;
}

function copy(
  instruction: Instruction,
  stage: StageResult,
  stages: StageResult[],
  inRoot: (path: string) => string,
  context: string,
  ignore: Ignore,
): void {
  const flags = new Map(
    (instruction as unknown as Flagged).getFlags().map((f) => [f.getName(), f.getValue() ?? ""] as const),
  );
  const parts = instruction.getArguments().map((a) => a.getValue());
  const dest = parts.pop() as string;
  const fromName = flags.get("from");
  const source = fromName === undefined ? undefined : stages.find((s) => s.name === fromName);
  if (fromName !== undefined && source === undefined)
    throw new Error(`COPY --from=${fromName}: no such stage`);
  for (const src of parts) {
    const from = source === undefined ? join(context, src) : join(source.root, src);
    if (source === undefined && ignore.ignores(src))
      throw new Error(`COPY ${src}: excluded by .dockerignore`);
    if (!existsSync(from))
      throw new Error(`COPY ${src}: not in ${source === undefined ? "the build context" : fromName}`);
    // `COPY a b ./`: files go into the folder; `COPY dir ./x`: the folder's contents become x.
    const target =
      dest.endsWith("/") && statSync(from).isFile() ? join(inRoot(dest), basename(src)) : inRoot(dest);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(from, target, {
      recursive: true,
      filter: (path) => {
        if (source !== undefined) return true;
        const rel = relative(context, path);
        return rel === "" || !ignore.ignores(rel);
      },
    });
  }
  const chown = flags.has("chown")
    ? ` (--chown=${flags.get("chown")}: applied by a container runtime only)`
    : "";
  stage.log.push(`COPY ${instruction.getArgumentsContent()}${fromName ? ` from ${fromName}` : ""}${chown}`);
}

function words(text: string): string[] {
  const trimmed = text.trim();
  return trimmed.startsWith("[") ? (JSON.parse(trimmed) as string[]) : trimmed.split(/\s+/);
}

function readIgnore(context: string): string {
  const path = join(context, ".dockerignore");
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

/** Where a container path lands in a stage's stand-in root. */
export function hostPath(stage: StageResult, containerPath: string): string {
  return join(
    stage.root,
    isAbsolute(containerPath) ? containerPath : posix.resolve(stage.workdir, containerPath),
  );
}
