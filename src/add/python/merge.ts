import { CliError } from "../../errors.js";
import {
  ensureFromImport,
  fromModule,
  importBindings,
  importedNames,
  isImportStatement,
  topLevelImports,
} from "./imports.js";
import { applyEdits, nextLineStart, parseModule, type PythonModule, type SyntaxNode, type TextEdit } from "./source.js";

/** Names that a change adds to the `from module import ...` statements of a module, as written (`name as alias`). */
interface AddedNames {
  module: string;
  names: string[];
}

/** A run of top-level statements and comments that the change inserts after `anchor`. */
interface Insertion {
  anchor: SyntaxNode;
  items: SyntaxNode[];
}

const DEFINITION_TYPES = new Set(["function_definition", "class_definition", "decorated_definition"]);

/** Top-level statements and comments that are not imports, in source order. */
function bodyItems(module: PythonModule): SyntaxNode[] {
  return module.root.children.filter((child) => child.named && !isImportStatement(child));
}

/** Imports that a name-by-name comparison cannot follow: `import x`, `from __future__ ...` and `from x import *`. */
function opaqueImports(module: PythonModule): string[] {
  return topLevelImports(module)
    .filter((statement) => statement.type !== "import_from_statement" || importedNames(statement).length === 0)
    .map((statement) => statement.text)
    .sort();
}

/** Map each module of a `from` import to the names imported from it, as written. */
function fromImports(module: PythonModule): Map<string, Set<string>> {
  const byModule = new Map<string, Set<string>>();
  for (const statement of topLevelImports(module)) {
    if (statement.type !== "import_from_statement") continue;
    const names = byModule.get(fromModule(statement)) ?? new Set<string>();
    for (const item of importedNames(statement)) names.add(item.text);
    byModule.set(fromModule(statement), names);
  }
  return byModule;
}

/** Find the names the change adds to `from` imports; null when it removes or rewrites an import. */
function addedImports(base: PythonModule, next: PythonModule): AddedNames[] | null {
  if (opaqueImports(base).join("\n") !== opaqueImports(next).join("\n")) return null;
  const before = fromImports(base);
  const after = fromImports(next);
  const added: AddedNames[] = [];
  for (const [module, names] of before) {
    const nextNames = after.get(module);
    if (!nextNames || [...names].some((name) => !nextNames.has(name))) return null;
  }
  for (const [module, names] of after) {
    const previous = before.get(module) ?? new Set<string>();
    const newNames = [...names].filter((name) => !previous.has(name));
    if (newNames.length > 0) added.push({ module, names: newNames });
  }
  return added;
}

/** Pair the items of `base` with equal items of `next` by a longest common subsequence of their text. */
function matchItems(base: readonly SyntaxNode[], next: readonly SyntaxNode[]): Set<SyntaxNode> {
  const rows = base.length + 1;
  const columns = next.length + 1;
  const lengths = Array.from({ length: rows }, () => new Array<number>(columns).fill(0));
  for (let i = base.length - 1; i >= 0; i--) {
    for (let j = next.length - 1; j >= 0; j--) {
      const row = lengths[i] as number[];
      const below = lengths[i + 1] as number[];
      row[j] =
        base[i]?.text === next[j]?.text
          ? (below[j + 1] as number) + 1
          : Math.max(below[j] as number, row[j + 1] as number);
    }
  }
  const matched = new Set<SyntaxNode>();
  let i = 0;
  let j = 0;
  while (i < base.length && j < next.length) {
    if (base[i]?.text === next[j]?.text) {
      matched.add(next[j] as SyntaxNode);
      i++;
      j++;
    } else if ((lengths[i + 1]?.[j] as number) >= (lengths[i]?.[j + 1] as number)) {
      i++;
    } else {
      j++;
    }
  }
  return matched;
}

/**
 * Find the runs of top-level statements that the change inserts, each after
 * a statement that base and next share. Returns null when the change edits
 * or removes a statement, or inserts right after an import or at the top.
 */
function insertions(base: PythonModule, next: PythonModule): Insertion[] | null {
  const baseItems = bodyItems(base);
  const nextItems = bodyItems(next);
  const matched = matchItems(baseItems, nextItems);
  if (matched.size !== baseItems.length) return null;
  const topLevel = next.root.children.filter((child) => child.named);
  const runs: Insertion[] = [];
  for (const item of nextItems) {
    if (matched.has(item)) continue;
    const previous = topLevel[topLevel.indexOf(item) - 1];
    const run = runs[runs.length - 1];
    if (run && previous === run.items[run.items.length - 1]) {
      run.items.push(item);
      continue;
    }
    // Imports are merged name by name, so a statement placed right after one has no stable position.
    if (!previous || !matched.has(previous)) return null;
    if (nextLineStart(next.text, previous.end) > item.start) return null;
    runs.push({ anchor: previous, items: [item] });
  }
  return runs;
}

/**
 * Build the edit that puts one run into the user's module: after the anchor
 * and after any statements the user added right after it. Returns undefined
 * when the user already has the run, and null when its place is unclear.
 */
function placeRun(
  run: Insertion,
  next: PythonModule,
  current: PythonModule,
  baseTexts: ReadonlySet<string>,
): TextEdit | undefined | null {
  const items = bodyItems(current);
  const currentTexts = new Set(items.map((item) => item.text));
  const statementsOfRun = run.items.filter((item) => item.type !== "comment");
  const present = statementsOfRun.filter((item) => currentTexts.has(item.text));
  if (present.length > 0 && present.length === statementsOfRun.length) return undefined;
  if (present.length > 0) return null;

  const anchors = items.filter((item) => item.text === run.anchor.text);
  if (anchors.length !== 1) return null;
  let index = items.indexOf(anchors[0] as SyntaxNode);
  while (index + 1 < items.length && !baseTexts.has((items[index + 1] as SyntaxNode).text)) index++;
  const after = items[index] as SyntaxNode;

  const last = run.items[run.items.length - 1] as SyntaxNode;
  let text = next.text.slice(nextLineStart(next.text, run.anchor.end), nextLineStart(next.text, last.end));
  if (!text.endsWith("\n")) text += "\n";
  // ruff format wants two blank lines after a top-level function or class.
  if (DEFINITION_TYPES.has(after.type) && !text.startsWith("\n")) text = `\n\n${text}`;
  const offset = nextLineStart(current.text, after.end);
  const prefix = offset === current.text.length && !current.text.endsWith("\n") ? "\n" : "";
  return { offset, text: prefix + text };
}

/** Check that the merged module binds every import of `next` and has each of its statements. */
function containsChange(merged: PythonModule, next: PythonModule): boolean {
  const bindings = importBindings(merged);
  for (const [local, target] of importBindings(next)) {
    if (bindings.get(local) !== target) return false;
  }
  const texts = new Set(bodyItems(merged).map((item) => item.text));
  return bodyItems(next).every((item) => item.type === "comment" || texts.has(item.text));
}

async function parseOrNull(file: string, text: string): Promise<PythonModule | null> {
  try {
    return await parseModule(file, text);
  } catch (error) {
    if (error instanceof CliError) return null;
    throw error;
  }
}

/**
 * Merge a change into the user's edited copy of a Python module by its
 * structure, for when the line merge conflicts. This works only when the
 * change from `base` to `next` adds names to `from` imports, adds `from`
 * imports, and inserts top-level statements after statements that the
 * user's copy still has exactly once. New names join the user's import of
 * the same module, and new statements go after the statements that the user
 * added there, such as `include_router` calls. Returns null for any other
 * change, or when a name the change imports is bound to something else.
 * `firstParty` names the project's top-level packages for import placement.
 */
export async function mergeModuleAdditions(
  file: string,
  current: string,
  base: string,
  next: string,
  firstParty: ReadonlySet<string>,
): Promise<string | null> {
  const [currentModule, baseModule, nextModule] = await Promise.all([
    parseOrNull(file, current),
    parseOrNull(file, base),
    parseOrNull(file, next),
  ]);
  if (!currentModule || !baseModule || !nextModule) return null;
  const imports = addedImports(baseModule, nextModule);
  const runs = insertions(baseModule, nextModule);
  if (imports === null || runs === null) return null;

  const baseTexts = new Set(bodyItems(baseModule).map((item) => item.text));
  const edits: TextEdit[] = [];
  for (const run of runs) {
    const edit = placeRun(run, nextModule, currentModule, baseTexts);
    if (edit === null) return null;
    if (edit) edits.push(edit);
  }
  let text = applyEdits(current, edits);

  for (const change of imports) {
    const module = await parseOrNull(file, text);
    if (!module) return null;
    const bindings = importBindings(module);
    const missing: string[] = [];
    for (const written of change.names) {
      const [name = written, alias] = written.split(/\s+as\s+/);
      const bound = bindings.get(alias ?? name);
      if (bound === `${change.module}.${name}`) continue;
      if (bound !== undefined) return null;
      missing.push(written);
    }
    text = applyEdits(text, ensureFromImport(module, change.module, missing, firstParty));
  }

  const merged = await parseOrNull(file, text);
  if (!merged || !containsChange(merged, nextModule)) return null;
  return text;
}
