import {
  indentAt,
  lineStart,
  nextLineStart,
  statements,
  walk,
  type PythonModule,
  type SyntaxNode,
  type TextEdit,
} from "./source.js";

/** ruff's default line length, which generated projects use too. */
const MAX_LINE_LENGTH = 88;

const IMPORT_TYPES = new Set(["import_statement", "import_from_statement", "future_import_statement"]);

export function isImportStatement(node: SyntaxNode): boolean {
  return IMPORT_TYPES.has(node.type);
}

/** One imported name as written: `name` or `name as alias`. */
export interface ImportedName {
  name: string;
  local: string;
  text: string;
}

/** List the names that an import statement binds, as written; empty for `from module import *`. */
export function importedNames(statement: SyntaxNode): ImportedName[] {
  return statement.childrenOf("name").map((child) => {
    if (child.type === "aliased_import") {
      const name = child.child("name")?.text ?? child.text;
      const local = child.child("alias")?.text ?? name;
      return { name, local, text: child.text };
    }
    return { name: child.text, local: child.text.split(".")[0] ?? child.text, text: child.text };
  });
}

/** Return the module that a `from` import names, with leading dots for relative imports. */
export function fromModule(statement: SyntaxNode): string {
  return statement.child("module_name")?.text ?? "";
}

/** Top-level import statements of a module, in source order. */
export function topLevelImports(module: PythonModule): SyntaxNode[] {
  return statements(module.root).filter((statement) => IMPORT_TYPES.has(statement.type));
}

/**
 * List the local names that the module binds to `name` from `moduleName` at
 * top level (`from moduleName import name [as local]`).
 */
export function localNamesFor(module: PythonModule, moduleName: string, name: string): string[] {
  return topLevelImports(module)
    .filter((statement) => statement.type === "import_from_statement" && fromModule(statement) === moduleName)
    .flatMap((statement) =>
      importedNames(statement)
        .filter((item) => item.name === name)
        .map((item) => item.local),
    );
}

/**
 * Find the top-level `from` import that binds `local`: the module as written
 * (with leading dots when relative) and the imported name; null when none does.
 */
export function fromImportOf(module: PythonModule, local: string): { module: string; name: string } | null {
  for (const statement of topLevelImports(module)) {
    if (statement.type !== "import_from_statement") continue;
    const item = importedNames(statement).find((imported) => imported.local === local);
    if (item) return { module: fromModule(statement), name: item.name };
  }
  return null;
}

/** Map every name that top-level imports bind to its source, as local name → `module.name`. */
export function importBindings(module: PythonModule): Map<string, string> {
  const bindings = new Map<string, string>();
  for (const statement of topLevelImports(module)) {
    if (statement.type === "import_from_statement") {
      for (const item of importedNames(statement)) bindings.set(item.local, `${fromModule(statement)}.${item.name}`);
    } else if (statement.type === "import_statement") {
      for (const item of importedNames(statement))
        bindings.set(item.local, item.local === item.name.split(".")[0] ? item.local : item.name);
    }
  }
  return bindings;
}

/** ruff's isort order for imported names (order-by-type): CONSTANTS, then Classes, then the rest. */
function memberKey(name: string): [number, string] {
  const bare = name.split(" as ")[0] ?? name;
  const kind = bare.length > 1 && bare === bare.toUpperCase() && /[A-Z]/.test(bare) ? 0 : /^[A-Z]/.test(bare) ? 1 : 2;
  return [kind, bare.toLowerCase()];
}

export function sortMembers(names: readonly string[]): string[] {
  return [...names].sort((a, b) => {
    const [kindA, keyA] = memberKey(a);
    const [kindB, keyB] = memberKey(b);
    if (kindA !== kindB) return kindA - kindB;
    if (keyA === keyB) return 0;
    return keyA < keyB ? -1 : 1;
  });
}

/** Format `from module import names` as ruff format would: one line, or one name per line when too long. */
export function formatFromImport(moduleName: string, names: readonly string[], indent = ""): string {
  const sorted = sortMembers(names);
  const single = `${indent}from ${moduleName} import ${sorted.join(", ")}`;
  if (single.length <= MAX_LINE_LENGTH) return single;
  return [`${indent}from ${moduleName} import (`, ...sorted.map((name) => `${indent}    ${name},`), `${indent})`].join(
    "\n",
  );
}

/** Return the root package of a module name (`app` for `app.core.config`); empty for relative imports. */
function rootPackage(moduleName: string): string {
  return moduleName.startsWith(".") ? "" : (moduleName.split(".")[0] ?? "");
}

/**
 * Edits that make `from moduleName import names` available at the top of a
 * module. Names already imported from that module are left alone; missing
 * ones join the existing statement (rewritten in ruff's order) unless it
 * contains a comment, and otherwise a new statement goes where ruff's isort
 * would put it among the project's own imports. `firstParty` names the
 * project's top-level packages and modules.
 */
export function ensureFromImport(
  module: PythonModule,
  moduleName: string,
  names: readonly string[],
  firstParty: ReadonlySet<string>,
): TextEdit[] {
  const imports = topLevelImports(module);
  const existing = imports.find(
    (statement) => statement.type === "import_from_statement" && fromModule(statement) === moduleName,
  );
  const present = new Set(existing ? importedNames(existing).map((item) => item.name) : []);
  if (existing && existing.children.some((child) => child.type === "wildcard_import")) return [];
  const missing = names.filter((name) => !present.has(name));
  if (missing.length === 0) return [];
  const hasComment = existing !== undefined && [...walk(existing)].some((node) => node.type === "comment");
  if (existing && !hasComment) {
    const members = [...importedNames(existing).map((item) => item.text), ...missing];
    const text = formatFromImport(moduleName, members, indentAt(module.text, existing.start));
    return [
      {
        offset: lineStart(module.text, existing.start),
        remove: existing.end - lineStart(module.text, existing.start),
        text,
      },
    ];
  }
  const line = `${formatFromImport(moduleName, missing)}\n`;
  if (existing) return [{ offset: nextLineStart(module.text, existing.end), text: line }];
  return [placeNewImport(module, imports, moduleName, line, firstParty)];
}

function placeNewImport(
  module: PythonModule,
  imports: readonly SyntaxNode[],
  moduleName: string,
  line: string,
  firstParty: ReadonlySet<string>,
): TextEdit {
  const { text } = module;
  const isOwn = (statement: SyntaxNode): boolean => {
    const name =
      statement.type === "import_from_statement" ? fromModule(statement) : (statement.child("name")?.text ?? "");
    return firstParty.has(rootPackage(name));
  };
  const own = imports.filter(isOwn);
  const ownFrom = own.filter((statement) => statement.type === "import_from_statement");
  const after = ownFrom.find((statement) => fromModule(statement).toLowerCase() > moduleName.toLowerCase());
  if (after) return { offset: lineStart(text, after.start), text: line };
  const lastOwn = own[own.length - 1];
  if (lastOwn) return { offset: nextLineStart(text, lastOwn.end), text: line };
  const relative = imports.find(
    (statement) => statement.type === "import_from_statement" && fromModule(statement).startsWith("."),
  );
  if (relative) return { offset: lineStart(text, relative.start), text: `${line}\n` };
  const last = imports[imports.length - 1];
  if (last) return { offset: nextLineStart(text, last.end), text: `\n${line}` };
  const first = statements(module.root)[0];
  const docstring = first?.type === "expression_statement" && first.firstNamed?.type === "string" ? first : undefined;
  if (docstring) return { offset: nextLineStart(text, docstring.end), text: `\n${line}` };
  return { offset: 0, text: `${line}\n` };
}
