import path from "node:path";
import { CliError } from "../../errors.js";
import { readTomlTable, TomlError, type TomlValue } from "../../scanner/toml.js";
import type { Project } from "../project.js";
import { importBindings } from "../python/imports.js";
import { findModuleFile } from "../python/modules.js";

/** The Alembic setup of a project: the folders of its migrations as `alembic` itself finds them. */
export interface AlembicSetup {
  /** Origin of the setup, for messages: `alembic.ini`, `pyproject.toml` or the folder. */
  source: string;
  /** The script folder, holding env.py, relative to the project root. */
  scriptFolder: string;
  envFile: string;
  /** The one folder of revision files. */
  versionsFolder: string;
  /** Whether revision files in subfolders of versionsFolder count (`recursive_version_locations`). */
  recursive: boolean;
  /** The `file_template` for new revision files, with `%(rev)s`-style tokens. */
  fileTemplate: string;
  truncateSlugLength: number;
}

const CONFIG_FILE = "alembic.ini";
/** Script folders recognised without a configuration: `alembic init` and Flask-Migrate's names. */
const SCRIPT_FOLDERS = ["alembic", "migrations"];
const DEFAULT_FILE_TEMPLATE = "%(rev)s_%(slug)s";
const DEFAULT_TRUNCATE_SLUG_LENGTH = 40;

/** Options of one section of an INI file, keyed in lower case as ConfigParser does. */
type IniSection = Map<string, string>;

/**
 * Parse an INI file as Python's ConfigParser does for alembic.ini: `key =
 * value` or `key: value`, indented lines continue a value, and lines
 * starting with `#` or `;` are comments.
 */
export function parseIni(text: string): Map<string, IniSection> {
  const sections = new Map<string, IniSection>();
  let section: IniSection | null = null;
  let key: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(line)) continue;
    if (line.trim() === "") {
      key = null;
      continue;
    }
    if (/^\s/.test(line) && section && key !== null) {
      section.set(key, `${section.get(key) ?? ""}\n${line.trim()}`);
      continue;
    }
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      section = sections.get(header[1] as string) ?? new Map();
      sections.set(header[1] as string, section);
      key = null;
      continue;
    }
    const option = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line.trim());
    if (section && option) {
      key = (option[1] as string).toLowerCase();
      section.set(key, option[2] as string);
    }
  }
  return sections;
}

/**
 * Expand `%(name)s` and `%%` as ConfigParser's basic interpolation does,
 * with `here` and the section's own options as the values.
 */
function interpolate(value: string, section: IniSection, projectRoot: string, depth = 0): string {
  return value.replace(/%%|%\(([^)]+)\)s/g, (match, name: string | undefined) => {
    if (match === "%%") return "%";
    const key = (name ?? "").toLowerCase();
    if (key === "here") return projectRoot;
    const option = section.get(key);
    if (option === undefined || depth > 10) {
      throw new CliError(`Cannot read ${CONFIG_FILE}: ${match} names no option of [alembic].`, {
        hint: "Fix alembic.ini so that `alembic heads` runs, then run the command again; nothing was written.",
      });
    }
    return interpolate(option, section, projectRoot, depth + 1);
  });
}

/** The Alembic options of a project: `[alembic]` in alembic.ini first, then `[tool.alembic]` in pyproject.toml. */
interface AlembicOptions {
  source: string;
  get(name: string): string | string[] | undefined;
}

async function readOptions(project: Project): Promise<AlembicOptions | null> {
  const projectRoot = path.resolve(project.root);
  const ini = await project.read(CONFIG_FILE);
  const section = ini === null ? undefined : parseIni(ini).get("alembic");
  let toml: Record<string, TomlValue> | null = null;
  const pyproject = await project.read("pyproject.toml");
  try {
    toml = pyproject === null ? null : readTomlTable(pyproject, ["tool", "alembic"]);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
  }
  if (section === undefined && toml === null) return null;
  return {
    source: section !== undefined ? CONFIG_FILE : "pyproject.toml [tool.alembic]",
    get(name) {
      const option = section?.get(name);
      if (option !== undefined && section) return interpolate(option, section, projectRoot);
      const value = toml?.[name];
      // Alembic formats pyproject.toml values with Python's % operator and only `here`.
      const expand = (text: string): string => interpolate(text, new Map(), projectRoot);
      if (typeof value === "string") return expand(value);
      if (Array.isArray(value)) return value.map((item) => expand(String(item)));
      return value === undefined ? undefined : String(value);
    },
  };
}

/**
 * Turn a folder named in the Alembic options into a path relative to the
 * project root. An absolute path must lie inside the root. A relative one
 * counts from the root, because Alembic counts it from the folder it runs in,
 * usually the root. `package:folder` names a folder inside a project package.
 */
async function resolveFolder(project: Project, value: string, option: string, source: string): Promise<string> {
  const projectRoot = path.resolve(project.root);
  const packaged = /^([A-Za-z_][\w.]*):(.+)$/.exec(value);
  if (packaged) {
    const file = await findModuleFile(project, packaged[1] as string);
    if (file === null || !file.endsWith("/__init__.py")) {
      throw new CliError(`Cannot find the package ${packaged[1]} that ${option} in ${source} names.`, {
        hint: "Run the command in the project's root folder; nothing was written.",
      });
    }
    return path.posix.normalize(path.posix.join(path.posix.dirname(file), packaged[2] as string));
  }
  const absolute = path.resolve(projectRoot, value);
  const relative = path.relative(projectRoot, absolute).split(path.sep).join("/");
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new CliError(`${option} in ${source} points outside the project: ${value}.`, {
      hint: "Run the command in the folder that contains the migrations; nothing was written.",
    });
  }
  return relative === "" ? "." : relative;
}

/** Split `version_locations` as Alembic does: by `path_separator`, else by spaces and commas. */
function splitLocations(value: string | string[], separator: string | undefined): string[] {
  if (Array.isArray(value)) return value;
  const separators: Record<string, string> = { space: " ", newline: "\n", os: ":", ":": ":", ";": ";" };
  const character = separator === undefined ? undefined : separators[separator];
  const parts = character === undefined ? value.split(/, *| +/) : value.split(character);
  return parts.map((part) => part.trim()).filter(Boolean);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function isAlembicEnv(project: Project, file: string): Promise<boolean> {
  if (!(await project.exists(file))) return false;
  const bindings = importBindings(await project.module(file));
  return [...bindings.values()].some((source) => source === "alembic" || source.startsWith("alembic."));
}

/** Find the script folder without a configuration: alembic/ or migrations/ with an env.py that imports alembic. */
async function findScriptFolder(project: Project): Promise<string | null> {
  const found: string[] = [];
  for (const folder of SCRIPT_FOLDERS) if (await isAlembicEnv(project, `${folder}/env.py`)) found.push(folder);
  if (found.length > 1) {
    throw new CliError(
      `Found two Alembic script folders, ${found.join("/ and ")}/, and no alembic.ini that picks one.`,
      { hint: "Add alembic.ini with script_location, or remove the unused folder; nothing was written." },
    );
  }
  return found[0] ?? null;
}

/**
 * Find the project's Alembic setup by reading alembic.ini (or `[tool.alembic]`
 * in pyproject.toml) as Alembic does, or else an alembic/ or migrations/
 * folder whose env.py imports alembic. Returns null for a project without one.
 */
export async function findAlembic(project: Project): Promise<AlembicSetup | null> {
  const options = await readOptions(project);
  const location = single(options?.get("script_location"));
  let scriptFolder: string;
  let source: string;
  if (options && location !== undefined) {
    source = options.source;
    scriptFolder = await resolveFolder(project, location, "script_location", source);
  } else if (options?.source === CONFIG_FILE) {
    throw new CliError(`${CONFIG_FILE} has no script_location in its [alembic] section.`, {
      hint: "Set script_location to the folder of env.py, as `alembic init` does; nothing was written.",
    });
  } else {
    const folder = await findScriptFolder(project);
    if (folder === null) return null;
    scriptFolder = folder;
    source = `the folder ${folder}/`;
  }

  const envFile = path.posix.join(scriptFolder, "env.py");
  if (!(await project.exists(envFile))) {
    throw new CliError(`${source} names the Alembic script folder ${scriptFolder}/, which has no env.py.`, {
      hint: "Fix script_location, or create the folder with `alembic init`; nothing was written.",
    });
  }

  let versionsFolder = path.posix.join(scriptFolder, "versions");
  const locations = options?.get("version_locations");
  if (locations !== undefined) {
    const separator = single(options?.get("path_separator") ?? options?.get("version_path_separator"));
    const folders = splitLocations(locations, separator);
    if (folders.length !== 1) {
      throw new CliError(`version_locations in ${source} lists ${folders.length} folders (${folders.join(", ")}).`, {
        hint: "Add the migration by hand with `alembic revision --version-path`; nothing was written.",
      });
    }
    versionsFolder = await resolveFolder(project, folders[0] as string, "version_locations", source);
  }

  const truncate = Number(single(options?.get("truncate_slug_length")) ?? DEFAULT_TRUNCATE_SLUG_LENGTH);
  return {
    source,
    scriptFolder,
    envFile,
    versionsFolder,
    recursive: single(options?.get("recursive_version_locations")) === "true",
    fileTemplate: single(options?.get("file_template")) ?? DEFAULT_FILE_TEMPLATE,
    truncateSlugLength: Number.isInteger(truncate) && truncate > 0 ? truncate : DEFAULT_TRUNCATE_SLUG_LENGTH,
  };
}
