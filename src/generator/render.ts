import Handlebars from "handlebars";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { escapeMarkdown, quoteEnvValue, quoteJson, quoteString, requireIdentifier } from "./escape.js";

/** One file of a generated project, with a POSIX path relative to its root. */
export interface PlannedFile {
  path: string;
  content: string;
}

/**
 * Escaping helpers, one per target syntax. Templates may interpolate a value
 * only through one of these (a unit test checks every template).
 */
export const ESCAPE_HELPERS: Record<string, (value: unknown) => string> = {
  py: (value) => quoteString(String(value)),
  toml: (value) => quoteString(String(value)),
  yaml: (value) => quoteString(String(value)),
  env: (value) => quoteEnvValue(String(value)),
  md: (value) => escapeMarkdown(String(value)),
  json: (value) => quoteJson(value),
  ident: (value) => requireIdentifier(String(value)),
};

function createHandlebars(): typeof Handlebars {
  const instance = Handlebars.create();
  for (const [name, helper] of Object.entries(ESCAPE_HELPERS)) {
    instance.registerHelper(name, helper);
  }
  return instance;
}

const handlebars = createHandlebars();

// A leading "_" before a letter, on a name that is not a Python module.
const DOTFILE_PREFIX = /^_(?=[a-z])(?!.*\.py(\.hbs)?$)/;

/**
 * Map a template's path to the generated file's path. npm drops dotfiles such
 * as .gitignore from packages, so templates store "_gitignore" instead.
 */
export function outputPath(templatePath: string): string {
  const parts = templatePath.split(path.sep).map((part) => part.replace(DOTFILE_PREFIX, "."));
  const joined = parts.join("/");
  return joined.endsWith(".hbs") ? joined.slice(0, -".hbs".length) : joined;
}

export async function listTemplateFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
}

export function renderTemplate(source: string, context: object, name: string): string {
  try {
    const template = handlebars.compile(source, { noEscape: true, strict: true });
    return template(context);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`Template ${name} failed to render: ${message}`);
  }
}

/** Render every file under one template folder; `.hbs` files go through Handlebars. */
export async function renderFolder(root: string, context: object): Promise<PlannedFile[]> {
  const files: PlannedFile[] = [];
  for (const relative of await listTemplateFiles(root)) {
    const source = await readFile(path.join(root, relative), "utf8");
    const content = relative.endsWith(".hbs") ? renderTemplate(source, context, relative) : source;
    files.push({ path: outputPath(relative), content });
  }
  return files;
}
