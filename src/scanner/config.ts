import { readFile } from "node:fs/promises";
import path from "node:path";
import { CliError } from "../errors.js";
import { readTomlTable, TomlError, type TomlValue } from "./toml.js";

/** Settings from `[tool.secure-fastapi]` in a pyproject.toml. */
export interface ProjectConfig {
  /** The pyproject.toml the settings came from. */
  file: string;
  /** Folder that `exclude` patterns are relative to. */
  dir: string;
  exclude: string[];
  disable: string[];
}

const KNOWN_KEYS = new Set(["exclude", "disable"]);

/**
 * Find the nearest pyproject.toml at or above `startDir` that has a
 * `[tool.secure-fastapi]` table, as Ruff does for `[tool.ruff]`. Throws a
 * CliError (exit code 2) when that table is invalid.
 */
export async function findProjectConfig(startDir: string): Promise<ProjectConfig | null> {
  let dir = path.resolve(startDir);
  for (;;) {
    const file = path.join(dir, "pyproject.toml");
    const text = await readOptional(file);
    if (text !== null) {
      const config = parseProjectConfig(text, file);
      if (config) return config;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return null;
  }
}

/** Read `[tool.secure-fastapi]` from pyproject text; null when the table is absent. */
export function parseProjectConfig(text: string, file: string): ProjectConfig | null {
  let table: Record<string, TomlValue> | null;
  try {
    table = readTomlTable(text, ["tool", "secure-fastapi"]);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    // A pyproject that is not valid TOML is only our problem if it names our table.
    if (!text.includes("secure-fastapi")) return null;
    throw new CliError(`Invalid TOML in ${file}: ${error.message}`, { exitCode: 2 });
  }
  if (!table) return null;
  for (const key of Object.keys(table)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new CliError(`Unknown key "${key}" in [tool.secure-fastapi] of ${file}`, {
        exitCode: 2,
        hint: "Supported keys: exclude (list of globs), disable (list of rule ids).",
      });
    }
  }
  return {
    file,
    dir: path.dirname(file),
    exclude: stringList(table, "exclude", file),
    disable: stringList(table, "disable", file).map((id) => id.toUpperCase()),
  };
}

function stringList(table: Record<string, TomlValue>, key: string, file: string): string[] {
  const value = table[key];
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
  throw new CliError(`Invalid "${key}" in [tool.secure-fastapi] of ${file}: expected a list of strings`, {
    exitCode: 2,
  });
}
