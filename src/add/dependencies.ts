import { PYTHON_REQUIREMENTS } from "../generator/python-deps.js";
import { quoteString } from "../generator/escape.js";
import type { Project } from "./project.js";

/** Normalize a distribution name as PEP 503 does: lower case, runs of "-", "_" and "." as one "-". */
export function normalizePackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

function requirementName(requirement: string): string {
  return normalizePackageName(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(requirement)?.[1] ?? "");
}

/**
 * The requirement with its version floor for a package that generated
 * projects use, from the one table of Python dependency versions.
 */
export function requirementFor(packageName: string): string {
  const name = normalizePackageName(packageName);
  const found = PYTHON_REQUIREMENTS.find((item) => requirementName(item.requirement) === name);
  if (!found) throw new Error(`No version floor for ${packageName} in src/generator/python-deps.ts.`);
  return found.requirement;
}

/** Find the offsets of the `[` and `]` of the `[project]` table's `dependencies` array, or null. */
function projectDependencies(text: string): { open: number; close: number } | null {
  const header = /^\[project\][ \t]*$/m.exec(text);
  if (!header) return null;
  const tableEnd = text.slice(header.index + header[0].length).search(/^\[/m);
  const table = text.slice(header.index, tableEnd === -1 ? text.length : header.index + header[0].length + tableEnd);
  const key = /^dependencies[ \t]*=[ \t]*\[/m.exec(table);
  if (!key) return null;
  const open = header.index + key.index + key[0].length - 1;
  let quote: string | null = null;
  for (let index = open + 1; index < text.length; index++) {
    const char = text[index];
    if (quote !== null) {
      if (char === "\\") index++;
      else if (char === quote) quote = null;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === "#") index = text.indexOf("\n", index) === -1 ? text.length : text.indexOf("\n", index);
    else if (char === "]") return { open, close: index };
  }
  return null;
}

function listedNames(items: string): Set<string> {
  const names = new Set<string>();
  for (const match of items.matchAll(/(["'])((?:\\.|(?!\1).)*)\1/g)) names.add(requirementName(match[2] ?? ""));
  return names;
}

function addToPyproject(text: string, requirements: readonly string[]): string | null {
  const array = projectDependencies(text);
  if (!array) return null;
  const items = text.slice(array.open + 1, array.close);
  const present = listedNames(items);
  const missing = requirements.filter((item) => !present.has(requirementName(item)));
  if (missing.length === 0) return text;
  const quoted = missing.map(quoteString);
  const closeLineStart = text.lastIndexOf("\n", array.close - 1) + 1;
  const multiLine = items.includes("\n") && text.slice(closeLineStart, array.close).trim() === "";
  if (multiLine) {
    const indent = /\n([ \t]+)\S/.exec(items)?.[1] ?? "    ";
    const before = text.slice(0, closeLineStart);
    const separator = /,\s*$/.test(before.trimEnd()) || present.size === 0 ? "" : ",";
    const head = separator ? `${before.trimEnd()}${separator}\n` : before;
    return `${head}${quoted.map((item) => `${indent}${item},\n`).join("")}${text.slice(closeLineStart)}`;
  }
  const trimmed = items.trimEnd();
  const joiner = trimmed === "" ? "" : trimmed.endsWith(",") ? " " : ", ";
  return `${text.slice(0, array.open + 1)}${trimmed}${joiner}${quoted.join(", ")}${text.slice(array.close)}`;
}

function addToRequirements(text: string, requirements: readonly string[]): string {
  const present = new Set(
    text
      .split("\n")
      .map((line) => requirementName(line.replace(/#.*/, "")))
      .filter(Boolean),
  );
  const missing = requirements.filter((item) => !present.has(requirementName(item)));
  if (missing.length === 0) return text;
  const base = text === "" || text.endsWith("\n") ? text : `${text}\n`;
  return `${base}${missing.join("\n")}\n`;
}

/**
 * Stage the requirements in `pyproject.toml` (the `[project]` table's
 * `dependencies`) or else in `requirements.txt`. Returns the file changed,
 * or null when the project has neither, so the caller can tell the user.
 */
export async function addRequirements(project: Project, requirements: readonly string[]): Promise<string | null> {
  const pyproject = await project.read("pyproject.toml");
  if (pyproject !== null) {
    const updated = addToPyproject(pyproject, requirements);
    if (updated !== null) {
      if (updated !== pyproject) project.stage("pyproject.toml", updated);
      return "pyproject.toml";
    }
  }
  const requirementsFile = await project.read("requirements.txt");
  if (requirementsFile !== null) {
    const updated = addToRequirements(requirementsFile, requirements);
    if (updated !== requirementsFile) project.stage("requirements.txt", updated);
    return "requirements.txt";
  }
  return null;
}
