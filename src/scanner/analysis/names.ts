import type { SyntaxNode } from "../parse/syntax.js";

/** Module name for each name that an import binds, e.g. `sql` -> `sqlalchemy.text`. */
export type ImportTable = Map<string, string>;

/**
 * Collect the names bound by every import in the file, wherever it appears
 * (imports inside functions are common for optional dependencies).
 */
export function collectImports(byType: Map<string, SyntaxNode[]>): ImportTable {
  const table: ImportTable = new Map();
  for (const statement of byType.get("import_statement") ?? []) {
    for (const name of statement.childrenOf("name")) bindImport(table, name, null);
  }
  for (const statement of byType.get("import_from_statement") ?? []) {
    const module = statement.child("module_name")?.text;
    if (!module) continue;
    for (const name of statement.childrenOf("name")) bindImport(table, name, module);
  }
  return table;
}

function bindImport(table: ImportTable, name: SyntaxNode, fromModule: string | null): void {
  const imported = name.type === "aliased_import" ? name.child("name") : name;
  const alias = name.type === "aliased_import" ? name.child("alias")?.text : undefined;
  if (!imported) return;
  const path = imported.text.replace(/\s+/g, "");
  if (fromModule !== null) {
    table.set(alias ?? path, `${fromModule}.${path}`);
  } else if (alias) {
    table.set(alias, path);
  } else {
    const top = path.split(".")[0] as string;
    table.set(top, top);
  }
}

/** `a.b.c` for a chain of identifiers and attributes; null for anything else. */
export function dottedName(node: SyntaxNode): string | null {
  if (node.type === "identifier") return node.text;
  if (node.type !== "attribute") return null;
  const object = node.child("object");
  const attribute = node.child("attribute");
  if (!object || !attribute) return null;
  const base = dottedName(object);
  return base === null ? null : `${base}.${attribute.text}`;
}

/**
 * The dotted name with its first part replaced by what the import bound:
 * with `import jwt as pyjwt`, `pyjwt.decode` becomes `jwt.decode`. Names that
 * no import binds are returned as written.
 */
export function qualifiedName(node: SyntaxNode, imports: ImportTable): string | null {
  const dotted = dottedName(node);
  if (dotted === null) return null;
  const dot = dotted.indexOf(".");
  const head = dot === -1 ? dotted : dotted.slice(0, dot);
  const bound = imports.get(head);
  if (bound === undefined) return dotted;
  return dot === -1 ? bound : bound + dotted.slice(dot);
}

/** The last identifier of a callee: `execute` for `db.session.execute`. */
export function lastName(node: SyntaxNode): string | null {
  if (node.type === "identifier") return node.text;
  if (node.type === "attribute") return node.child("attribute")?.text ?? null;
  return null;
}

/** True when `qualified` is `name` or ends with `.name`. */
export function endsWithName(qualified: string | null, name: string): boolean {
  if (qualified === null) return false;
  return qualified === name || qualified.endsWith(`.${name}`);
}
