import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { SNIPPETS_ROOT } from "../paths.js";

/** One security building block from `snippets/<id>/snippet.json`. */
export interface Snippet {
  id: string;
  /** Raised whenever the rendered code changes, so projects can tell what they have. */
  version: number;
  title: string;
  description: string;
  /** POSIX path of the rendered file in a generated project; undefined when generated projects do not use it. */
  target: string | undefined;
  /**
   * File name that `add` gives the snippet inside the security package of a
   * project it did not generate; undefined when `add` does not place it. Such
   * snippets render without template values and import only each other, by
   * relative imports.
   */
  module: string | undefined;
  /** Absolute path of the Handlebars source. */
  source: string;
  /** Template context key that must be true for the snippet to be part of a project. */
  when: string | undefined;
}

const ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** Maximum id length: the header line names the id twice and must fit ruff's 88 columns up to version 99. */
const MAX_ID_LENGTH = 13;
const CONTEXT_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9]*$/;
const MANIFEST = "snippet.json";

function invalidManifest(file: string, problem: string): Error {
  return new Error(`Invalid snippet manifest ${file}: ${problem}.`);
}

function requireString(record: Record<string, unknown>, key: string, file: string): string {
  const value = record[key];
  if (typeof value !== "string" || value.trim() === "") {
    throw invalidManifest(file, `"${key}" must be a non-empty string`);
  }
  return value;
}

function optionalString(record: Record<string, unknown>, key: string, file: string): string | undefined {
  return record[key] === undefined ? undefined : requireString(record, key, file);
}

/** Check that a target is a relative POSIX path to a Python file that stays inside the project. */
function checkTarget(target: string, file: string): void {
  const normalized = path.posix.normalize(target);
  if (normalized !== target || target.startsWith("/") || target.startsWith("../") || !target.endsWith(".py")) {
    throw invalidManifest(
      file,
      `"target" must be a normalized relative path to a .py file, got ${JSON.stringify(target)}`,
    );
  }
}

function parseManifest(text: string, folder: string, file: string): Snippet {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw invalidManifest(file, (error as Error).message);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw invalidManifest(file, "it must contain a JSON object");
  }
  const record = data as Record<string, unknown>;

  const id = requireString(record, "id", file);
  if (!ID_PATTERN.test(id) || id !== path.basename(folder) || id.length > MAX_ID_LENGTH) {
    throw invalidManifest(
      file,
      `"id" must be a lowercase name of at most ${MAX_ID_LENGTH} characters equal to the folder name, got ${JSON.stringify(id)}`,
    );
  }

  const version = record.version;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    throw invalidManifest(file, `"version" must be a positive integer, got ${JSON.stringify(version)}`);
  }

  const target = optionalString(record, "target", file);
  if (target !== undefined) checkTarget(target, file);
  const module = optionalString(record, "module", file);
  if (module !== undefined && !/^[a-z][a-z0-9_]*\.py$/.test(module)) {
    throw invalidManifest(file, `"module" must be a Python file name such as errors.py, got ${JSON.stringify(module)}`);
  }
  if (target === undefined && module === undefined) {
    throw invalidManifest(file, `it needs a "target", a "module" or both`);
  }

  const source = requireString(record, "source", file);
  if (source !== path.basename(source) || !source.endsWith(".hbs")) {
    throw invalidManifest(file, `"source" must name a .hbs file in the same folder, got ${JSON.stringify(source)}`);
  }

  const when = record.when;
  if (when !== undefined && (typeof when !== "string" || !CONTEXT_KEY_PATTERN.test(when))) {
    throw invalidManifest(file, `"when" must name a template context key, got ${JSON.stringify(when)}`);
  }

  return {
    id,
    version,
    title: requireString(record, "title", file),
    description: requireString(record, "description", file),
    target,
    module,
    source: path.join(folder, source),
    when,
  };
}

function checkUnique(snippets: readonly Snippet[], key: (snippet: Snippet) => string | undefined): void {
  const owners = new Map<string, string>();
  for (const snippet of snippets) {
    const value = key(snippet);
    if (value === undefined) continue;
    const other = owners.get(value);
    if (other !== undefined) throw new Error(`Snippets ${other} and ${snippet.id} both write ${value}.`);
    owners.set(value, snippet.id);
  }
}

/** Folder of the files that `add` renders once into a project and does not track, such as a new resource. */
export const SCAFFOLDS_FOLDER = "_scaffolds";

/**
 * Load every snippet under `root`, sorted by id. Folders whose name starts
 * with "_" hold other material and are skipped. A malformed manifest is a
 * bug in the package, so it throws a plain Error rather than a CliError.
 */
export async function loadCatalog(root: string = SNIPPETS_ROOT): Promise<Snippet[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const folders = entries.filter((item) => item.isDirectory() && !item.name.startsWith("_"));
  const snippets: Snippet[] = [];
  for (const entry of folders.sort((a, b) => a.name.localeCompare(b.name))) {
    const folder = path.join(root, entry.name);
    const file = path.join(folder, MANIFEST);
    snippets.push(parseManifest(await readFile(file, "utf8"), folder, file));
  }
  checkUnique(snippets, (snippet) => snippet.target);
  checkUnique(snippets, (snippet) => snippet.module);
  return snippets;
}
