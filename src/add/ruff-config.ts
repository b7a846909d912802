import { quoteString } from "../generator/escape.js";
import type { Project } from "./project.js";

const TABLE_HEADER = /^\[tool\.ruff\.lint\.per-file-ignores\][ \t]*$/m;

/**
 * Stage a per-file ruff ignore in pyproject.toml, as the line
 * `"path" = ["RULE"]` at the end of `[tool.ruff.lint.per-file-ignores]`.
 * A pyproject.toml without that table is left as it is.
 */
export async function addRuffIgnore(project: Project, file: string, rule: string): Promise<void> {
  const text = await project.read("pyproject.toml");
  const header = text === null ? null : TABLE_HEADER.exec(text);
  if (text === null || header === null) return;
  const bodyStart = header.index + header[0].length + 1;
  const nextTable = text.slice(bodyStart).search(/^\[/m);
  const bodyEnd = nextTable === -1 ? text.length : bodyStart + nextTable;
  const body = text.slice(bodyStart, bodyEnd);
  const key = quoteString(file);
  if (body.split("\n").some((line) => line.trimStart().startsWith(`${key} =`))) return;
  // Insert after the table's last non-blank line, before the blank lines that separate tables.
  const contentEnd = bodyStart + body.trimEnd().length;
  const insertAt = text.indexOf("\n", contentEnd) === -1 ? text.length : text.indexOf("\n", contentEnd) + 1;
  const prefix = insertAt === text.length && !text.endsWith("\n") ? "\n" : "";
  project.stage(
    "pyproject.toml",
    `${text.slice(0, insertAt)}${prefix}${key} = [${quoteString(rule)}]\n${text.slice(insertAt)}`,
  );
}
