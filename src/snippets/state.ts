import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { CliError } from "../errors.js";
import { OPTION_SPECS, parseOptionValue, type ProjectOptions } from "../generator/options.js";
import { normalizeProjectName } from "../generator/validate.js";
import { snippetHeader } from "./render.js";

/**
 * The state file that a generated or updated project keeps in its root. It
 * records no secret, only the generator version and the options chosen. For
 * each file rendered from a snippet it records the snippet's id and version,
 * a hash of the file as written, and the snippet text itself, which is the
 * base of the next three-way merge. docs/snippets.md describes the format.
 */
export const STATE_FILE = ".secure-fastapi.json";

/** Version of the state file format; raised when a field changes meaning or is removed. */
export const STATE_FORMAT = 1;

const GENERATOR_NAME = "create-secure-fastapi";

/** A project file that `snippets update` manages. */
export interface ManagedFile {
  /** POSIX path relative to the project root. */
  path: string;
  snippet: string;
  version: number;
  /** SHA-256 of the file as this tool last wrote it, conflict markers included. */
  sha256: string;
  /** The snippet as the project last received it, header line included. */
  base: string;
}

/**
 * `project.options` contains the generator's options, or null for a project
 * that this tool did not generate and that received snippets through `add`.
 */
export interface ProjectState {
  format: number;
  generator: { name: string; version: string };
  project: { name: string; options: ProjectOptions | null };
  files: ManagedFile[];
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Serialize the state with a fixed key order, files sorted by path, and a final newline. */
export function serializeState(state: ProjectState): string {
  const ordered = {
    format: state.format,
    generator: { name: state.generator.name, version: state.generator.version },
    project: { name: state.project.name, options: state.project.options },
    files: [...state.files]
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((file) => ({
        path: file.path,
        snippet: file.snippet,
        version: file.version,
        sha256: file.sha256,
        base: file.base,
      })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Build the state of a project just written, in which every managed file is its snippet's text. */
export function createState(
  project: ProjectState["project"],
  generatorVersion: string,
  files: readonly { path: string; snippet: string; version: number; content: string }[],
): ProjectState {
  return {
    format: STATE_FORMAT,
    generator: { name: GENERATOR_NAME, version: generatorVersion },
    project: { name: project.name, options: project.options },
    files: files.map((file) => ({
      path: file.path,
      snippet: file.snippet,
      version: file.version,
      sha256: sha256(file.content),
      base: file.content,
    })),
  };
}

const RESTORE_HINT = `Restore ${STATE_FILE} from version control (git checkout -- ${STATE_FILE}); nothing was written.`;

function corrupt(file: string, problem: string): CliError {
  return new CliError(`Invalid state file ${file}: ${problem}.`, { hint: RESTORE_HINT });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readString(record: Record<string, unknown>, key: string, where: string, file: string): string {
  const value = record[key];
  if (typeof value !== "string") throw corrupt(file, `${where}.${key} must be a string`);
  return value;
}

/**
 * Read the options back. A key missing from an older state file takes its
 * default, because such projects were generated before the option existed.
 */
function parseOptions(value: unknown, file: string): ProjectOptions {
  if (!isRecord(value)) throw corrupt(file, "project.options must be an object");
  const known = new Set(OPTION_SPECS.map((spec) => spec.key as string));
  const unknown = Object.keys(value).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw corrupt(file, `project.options has unknown keys ${unknown.join(", ")}`);
  }
  const options: Record<string, unknown> = {};
  for (const spec of OPTION_SPECS) {
    const raw = value[spec.key];
    if (raw === undefined) {
      options[spec.key] = spec.defaultValue;
      continue;
    }
    const defaultValue: unknown = spec.defaultValue;
    if (typeof raw === "boolean" && typeof defaultValue === "boolean") {
      options[spec.key] = raw;
      continue;
    }
    const text = Array.isArray(raw) && raw.every((item) => typeof item === "string") ? raw.join(",") : raw;
    if (typeof text !== "string") throw corrupt(file, `project.options.${spec.key} has the wrong type`);
    try {
      options[spec.key] = parseOptionValue(spec, text);
    } catch (error) {
      throw corrupt(file, `project.options.${spec.key}: ${(error as Error).message}`);
    }
  }
  return options as unknown as ProjectOptions;
}

function parseManagedFile(value: unknown, index: number, file: string): ManagedFile {
  const where = `files[${index}]`;
  if (!isRecord(value)) throw corrupt(file, `${where} must be an object`);
  const filePath = readString(value, "path", where, file);
  if (
    filePath === "" ||
    path.posix.normalize(filePath) !== filePath ||
    filePath.startsWith("/") ||
    filePath.startsWith("../")
  ) {
    throw corrupt(file, `${where}.path ${JSON.stringify(filePath)} is not a relative path inside the project`);
  }
  const snippet = readString(value, "snippet", where, file);
  const version = value.version;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    throw corrupt(file, `${where}.version must be a positive integer`);
  }
  const hash = readString(value, "sha256", where, file);
  if (!/^[0-9a-f]{64}$/.test(hash)) throw corrupt(file, `${where}.sha256 must be 64 hexadecimal digits`);
  const base = readString(value, "base", where, file);
  const header = snippetHeader({ id: snippet, version });
  if (!base.startsWith(`${header}\n`)) {
    throw corrupt(file, `${where}.base does not start with the header of ${snippet} v${version}`);
  }
  return { path: filePath, snippet, version, sha256: hash, base };
}

function isProjectName(name: string): boolean {
  try {
    return normalizeProjectName(name) === name;
  } catch {
    return false;
  }
}

/** Parse and check a state file's text; `file` names it in errors. */
export function parseState(text: string, file: string): ProjectState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, `it is not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(data)) throw corrupt(file, "it must contain a JSON object");

  if (typeof data.format !== "number") throw corrupt(file, "format must be a number");
  if (data.format > STATE_FORMAT) {
    throw new CliError(`State file ${file} has format ${data.format}, which this version does not read.`, {
      hint: "Upgrade create-secure-fastapi to the version that wrote it; nothing was written.",
    });
  }
  if (data.format !== STATE_FORMAT) throw corrupt(file, `format ${data.format} is unknown`);

  if (!isRecord(data.generator)) throw corrupt(file, "generator must be an object");
  if (!isRecord(data.project)) throw corrupt(file, "project must be an object");
  const name = readString(data.project, "name", "project", file);
  const options = data.project.options === null ? null : parseOptions(data.project.options, file);
  if (options !== null && !isProjectName(name)) {
    throw corrupt(file, `project.name ${JSON.stringify(name)} is not a valid project name`);
  }

  if (!Array.isArray(data.files)) throw corrupt(file, "files must be a list");
  const files = data.files.map((item, index) => parseManagedFile(item, index, file));
  const seen = new Set<string>();
  for (const item of files) {
    if (seen.has(item.path)) throw corrupt(file, `${item.path} is listed twice`);
    seen.add(item.path);
  }

  return {
    format: STATE_FORMAT,
    generator: {
      name: readString(data.generator, "name", "generator", file),
      version: readString(data.generator, "version", "generator", file),
    },
    project: { name, options },
    files,
  };
}

/** The project has no state file: it was not generated by this tool, or the file was deleted. */
export class MissingStateError extends CliError {
  constructor(root: string) {
    super(`No ${STATE_FILE} in ${root}, so there is no record of the snippets this project received.`, {
      hint: "Run the command in the root folder of a project generated by create-secure-fastapi, or restore the file from version control.",
    });
    this.name = "MissingStateError";
  }
}

/** Read the state file of the project in `root`; a missing file is a MissingStateError with what to do. */
export async function readState(root: string): Promise<ProjectState> {
  const file = path.join(root, STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new MissingStateError(root);
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  return parseState(text, file);
}
