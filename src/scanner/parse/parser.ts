import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Language, Parser, type Tree, type TreeCursor } from "web-tree-sitter";
import { asCursorBinding, PublicCursor, RawCursor, type CursorBinding, type WalkCursor } from "./cursor.js";
import { appendChild, SourceText, SyntaxNode } from "./syntax.js";

/** A parsed file: its source, the root of its syntax tree and its nodes by type. */
export interface ParsedFile {
  source: SourceText;
  root: SyntaxNode;
  byType: Map<string, SyntaxNode[]>;
}

/** Location and reason of a parse failure. */
export interface ParseFailure {
  message: string;
  line: number;
}

/** Files that take longer than this to parse are reported as parse errors. */
const PARSE_TIMEOUT_MS = 10_000;

let parserPromise: Promise<Parser> | null = null;

/**
 * web-tree-sitter's WebAssembly module, when this file initialised it and it
 * has the functions a raw cursor calls. When null, trees are copied through
 * the public `TreeCursor`, which gives the same result more slowly.
 */
let cursorBinding: CursorBinding | null = null;

/** Load the Python grammar once per process and return the shared parser. */
export function getParser(): Promise<Parser> {
  parserPromise ??= createParser();
  return parserPromise;
}

async function createParser(): Promise<Parser> {
  // Parser.init() makes the object it is given into the Emscripten module. It
  // initialises the module only once per thread, so if other code called it
  // first, the object stays empty and the public cursor is used.
  const module = {};
  await Parser.init(module);
  cursorBinding = asCursorBinding(module);
  const require = createRequire(import.meta.url);
  const grammarPath = require.resolve("tree-sitter-python/tree-sitter-python.wasm");
  const language = await Language.load(grammarPath);
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/**
 * Parse Python source. The WebAssembly tree is copied into plain objects and
 * freed before this returns, whatever happens.
 */
export function parsePython(parser: Parser, text: string): ParsedFile | ParseFailure {
  const deadline = performance.now() + PARSE_TIMEOUT_MS;
  parser.reset();
  const tree = parser.parse(text, null, {
    progressCallback: () => performance.now() > deadline,
  });
  if (!tree) {
    return { message: `parsing timed out after ${PARSE_TIMEOUT_MS / 1000} s`, line: 1 };
  }
  try {
    const source = new SourceText(text);
    if (tree.rootNode.hasError) return describeSyntaxError(tree, source);
    const byType = new Map<string, SyntaxNode[]>();
    const root = copyTree(tree, source, byType);
    return { source, root, byType };
  } finally {
    tree.delete();
  }
}

function describeSyntaxError(tree: Tree, source: SourceText): ParseFailure {
  const cursor = tree.walk();
  try {
    let reachedEnd = false;
    while (!reachedEnd) {
      const node = cursor.currentNode;
      if (node.isError || node.isMissing) {
        const line = source.position(node.startIndex).line;
        const what = node.isMissing ? `missing ${node.type}` : "invalid syntax";
        return { message: `${what} at line ${line}`, line };
      }
      if (node.hasError && cursor.gotoFirstChild()) continue;
      reachedEnd = !advance(cursor);
    }
  } finally {
    cursor.delete();
  }
  return { message: "invalid syntax", line: 1 };
}

/** Move to the next sibling, or to the next sibling of an ancestor. */
function advance(cursor: TreeCursor): boolean {
  while (!cursor.gotoNextSibling()) {
    if (!cursor.gotoParent()) return false;
  }
  return true;
}

/** Named node types that never have children in the Python grammar. */
const LEAF_TYPES = new Set([
  "identifier",
  "integer",
  "float",
  "string_start",
  "string_end",
  "escape_sequence",
  "comment",
  "true",
  "false",
  "none",
  "ellipsis",
  "type_conversion",
  "line_continuation",
  "escape_interpolation",
]);

/** Anonymous tokens worth keeping: operators that a field names. */
const OPERATOR_TOKENS = /^([-+*/%@&|^~<>=!]+|and|or|not|in|is|not in|is not|<>)$/;

/** Per-language lookup tables, so that a node costs one call for its type. */
interface TypeTables {
  names: string[];
  named: boolean[];
  keepAnonymous: boolean[];
  leaf: boolean[];
  /** False for node types whose children never have a field name. */
  hasFields: boolean[];
  fields: (string | null)[];
}

const typeTables = new WeakMap<Language, TypeTables>();

/**
 * Named node types that declare no fields, from the grammar's node-types.json,
 * so that their children need no field lookup. Any type missing from the file
 * is treated as having fields.
 */
function typesWithoutFields(): Set<string> {
  const require = createRequire(import.meta.url);
  const file = require.resolve("tree-sitter-python/src/node-types.json");
  const types = JSON.parse(readFileSync(file, "utf8")) as { type: string; named: boolean; fields?: object }[];
  const result = new Set<string>();
  for (const type of types) {
    if (type.named && (!type.fields || Object.keys(type.fields).length === 0)) result.add(type.type);
  }
  return result;
}

function tablesFor(language: Language): TypeTables {
  let tables = typeTables.get(language);
  if (tables) return tables;
  const names: string[] = [];
  const named: boolean[] = [];
  const keepAnonymous: boolean[] = [];
  const leaf: boolean[] = [];
  const hasFields: boolean[] = [];
  const withoutFields = typesWithoutFields();
  for (let id = 0; id < language.nodeTypeCount; id++) {
    const name = language.types[id] ?? "ERROR";
    names.push(name);
    named.push(language.nodeTypeIsNamed(id));
    keepAnonymous.push(OPERATOR_TOKENS.test(name));
    leaf.push(LEAF_TYPES.has(name));
    hasFields.push(!withoutFields.has(name));
  }
  const fields = language.fields.map((field) => field ?? null);
  tables = { names, named, keepAnonymous, leaf, hasFields, fields };
  typeTables.set(language, tables);
  return tables;
}

/** Return the binding that raw cursors use, or null before `getParser()` has finished or when it is unavailable. */
export function rawCursorBinding(): CursorBinding | null {
  return cursorBinding;
}

/** Open a cursor on the root of `tree`, raw when the binding is available. */
export function openCursor(tree: Tree, binding: CursorBinding | null = cursorBinding): WalkCursor {
  const cursor = tree.walk();
  return binding ? new RawCursor(binding, tree, cursor) : new PublicCursor(cursor);
}

/**
 * Copy the tree without recursion, so that deeply nested expressions (a long
 * chain of `+`) cannot overflow the JavaScript stack. Each cursor read
 * crosses into WebAssembly, so reads are limited to what is kept.
 */
export function copyTree(
  tree: Tree,
  source: SourceText,
  byType: Map<string, SyntaxNode[]>,
  cursor: WalkCursor = openCursor(tree),
): SyntaxNode {
  const tables = tablesFor(tree.language);
  try {
    const rootType = tables.names[cursor.typeId()] ?? "ERROR";
    const root = new SyntaxNode(source, rootType, null, 0, source.text.length, true);
    if (!cursor.gotoFirstChild()) return root;
    let parent = root;
    let parentHasFields = false;
    // Whether each open ancestor's children can have field names, innermost last.
    const hasFieldsStack: boolean[] = [];
    for (;;) {
      const typeId = cursor.typeId();
      const named = tables.named[typeId] ?? true;
      if (named || (parentHasFields && tables.keepAnonymous[typeId])) {
        const field = parentHasFields ? (tables.fields[cursor.fieldId()] ?? null) : null;
        if (named || field !== null) {
          const type = tables.names[typeId] ?? "ERROR";
          const node = new SyntaxNode(source, type, field, cursor.startIndex(), cursor.endIndex(), named);
          appendChild(parent, node);
          const list = byType.get(type);
          if (list) list.push(node);
          else byType.set(type, [node]);
          if (named && !tables.leaf[typeId] && cursor.gotoFirstChild()) {
            hasFieldsStack.push(parentHasFields);
            parent = node;
            parentHasFields = tables.hasFields[typeId] ?? true;
            continue;
          }
        }
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent() || parent === root) return root;
        parent = parent.parent as SyntaxNode;
        parentHasFields = hasFieldsStack.pop() ?? false;
      }
    }
  } finally {
    cursor.delete();
  }
}
