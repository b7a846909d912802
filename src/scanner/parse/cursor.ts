import type { Tree, TreeCursor } from "web-tree-sitter";

/**
 * The cursor operations that copying a tree needs. Each method works on the
 * cursor's current node and crosses into WebAssembly once.
 */
export interface WalkCursor {
  typeId(): number;
  fieldId(): number;
  startIndex(): number;
  endIndex(): number;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
  /** Free the cursor. The cursor must not be used afterwards. */
  delete(): void;
}

/**
 * The exports of web-tree-sitter's Emscripten module that a raw cursor calls.
 * `Parser.init(moduleOptions)` turns `moduleOptions` into that module, so the
 * object passed in gains these members. They are the C functions behind
 * `TreeCursor` in web-tree-sitter 0.25 (lib/tree-sitter.c), not its public API.
 */
export interface CursorBinding {
  /** The module's memory as bytes; Emscripten replaces this view when memory grows. */
  HEAPU8: Uint8Array;
  _ts_init(): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
}

const BINDING_FUNCTIONS = [
  "_ts_init",
  "_ts_tree_cursor_goto_first_child_wasm",
  "_ts_tree_cursor_goto_next_sibling_wasm",
  "_ts_tree_cursor_goto_parent_wasm",
  "_ts_tree_cursor_current_node_type_id_wasm",
  "_ts_tree_cursor_current_field_id_wasm",
  "_ts_tree_cursor_start_index_wasm",
  "_ts_tree_cursor_end_index_wasm",
] as const;

/** Return `module` as a binding when it has every member a raw cursor calls, else null. */
export function asCursorBinding(module: object): CursorBinding | null {
  const candidate = module as Partial<Record<string, unknown>>;
  if (!(candidate["HEAPU8"] instanceof Uint8Array)) return null;
  for (const name of BINDING_FUNCTIONS) {
    if (typeof candidate[name] !== "function") return null;
  }
  return module as CursorBinding;
}

/** A TreeCursor's four marshalled words and a Tree's address, which web-tree-sitter keeps under `[0]`…`[3]`. */
interface CursorHandle {
  0: number;
  1: number;
  2: number;
  3: number;
}

const CURSOR_WORDS = 4;

/**
 * A cursor that calls the WebAssembly functions directly. web-tree-sitter's
 * `TreeCursor` writes its state into a shared transfer buffer before every
 * call and reads it back after, through Emscripten's `setValue`/`getValue`.
 * On the benchmark corpus that marshalling took most of the time spent
 * copying trees. The C functions read the cursor from the transfer buffer and
 * write it back there, so this cursor writes the state once, makes its calls,
 * and reads the state back into the `TreeCursor` before freeing it.
 *
 * No other web-tree-sitter call may run between creating and deleting this
 * cursor, because any call can overwrite the transfer buffer.
 */
export class RawCursor implements WalkCursor {
  private readonly buffer: number;
  private readonly tree: number;

  constructor(
    private readonly binding: CursorBinding,
    tree: Tree,
    private readonly cursor: TreeCursor,
  ) {
    this.buffer = binding._ts_init();
    this.tree = (tree as unknown as CursorHandle)[0];
    const handle = cursor as unknown as CursorHandle;
    const view = new DataView(binding.HEAPU8.buffer);
    for (let word = 0; word < CURSOR_WORDS; word++) {
      view.setInt32(this.buffer + word * 4, handle[word as 0 | 1 | 2 | 3], true);
    }
  }

  typeId(): number {
    return this.binding._ts_tree_cursor_current_node_type_id_wasm(this.tree);
  }

  fieldId(): number {
    return this.binding._ts_tree_cursor_current_field_id_wasm(this.tree);
  }

  startIndex(): number {
    return this.binding._ts_tree_cursor_start_index_wasm(this.tree);
  }

  endIndex(): number {
    return this.binding._ts_tree_cursor_end_index_wasm(this.tree);
  }

  gotoFirstChild(): boolean {
    return this.binding._ts_tree_cursor_goto_first_child_wasm(this.tree) === 1;
  }

  gotoNextSibling(): boolean {
    return this.binding._ts_tree_cursor_goto_next_sibling_wasm(this.tree) === 1;
  }

  gotoParent(): boolean {
    return this.binding._ts_tree_cursor_goto_parent_wasm(this.tree) === 1;
  }

  /**
   * Copy the state back into the `TreeCursor`, which then points at the same
   * node as this cursor. The first word is the address of the cursor's stack,
   * which moves when a deep walk grows it, so freeing without this step would
   * free a stale address.
   */
  syncBack(): void {
    // Take the view again, because memory growth during the walk replaces it.
    const view = new DataView(this.binding.HEAPU8.buffer);
    const handle = this.cursor as unknown as CursorHandle;
    for (let word = 0; word < CURSOR_WORDS; word++) {
      handle[word as 0 | 1 | 2 | 3] = view.getInt32(this.buffer + word * 4, true);
    }
  }

  delete(): void {
    this.syncBack();
    this.cursor.delete();
  }
}

/** A cursor that uses web-tree-sitter's public `TreeCursor`, for when no binding is available. */
export class PublicCursor implements WalkCursor {
  constructor(private readonly cursor: TreeCursor) {}

  typeId(): number {
    return this.cursor.nodeTypeId;
  }

  fieldId(): number {
    return this.cursor.currentFieldId;
  }

  startIndex(): number {
    return this.cursor.startIndex;
  }

  endIndex(): number {
    return this.cursor.endIndex;
  }

  gotoFirstChild(): boolean {
    return this.cursor.gotoFirstChild();
  }

  gotoNextSibling(): boolean {
    return this.cursor.gotoNextSibling();
  }

  gotoParent(): boolean {
    return this.cursor.gotoParent();
  }

  delete(): void {
    this.cursor.delete();
  }
}
