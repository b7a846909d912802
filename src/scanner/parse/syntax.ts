/**
 * The children of every leaf, shared so that leaves (about half of all
 * nodes) allocate no array. It is frozen, so code that adds to it by mistake
 * throws.
 */
const NO_CHILDREN = Object.freeze([]) as unknown as SyntaxNode[];

/**
 * A plain JavaScript copy of a tree-sitter syntax tree. Rules walk this copy
 * instead of the WebAssembly tree, because every property read on a
 * web-tree-sitter node crosses into WebAssembly, and because the copy lets
 * the WebAssembly tree be freed as soon as the file is parsed.
 *
 * The copy keeps every named node, plus anonymous tokens that have a field
 * name (operators such as `+`, `==` or `not in`). Punctuation is dropped.
 */
export class SyntaxNode {
  parent: SyntaxNode | null = null;
  /** The kept children in source order; only `appendChild` changes the list. */
  children: SyntaxNode[] = NO_CHILDREN;

  constructor(
    readonly source: SourceText,
    readonly type: string,
    readonly field: string | null,
    readonly start: number,
    readonly end: number,
    readonly named: boolean,
  ) {}

  get text(): string {
    return this.source.text.slice(this.start, this.end);
  }

  /** The first child stored under `field`, or null. */
  child(field: string): SyntaxNode | null {
    for (const child of this.children) {
      if (child.field === field) return child;
    }
    return null;
  }

  /** Every child stored under `field`. */
  childrenOf(field: string): SyntaxNode[] {
    return this.children.filter((child) => child.field === field);
  }

  /** The first named child, whatever its field. */
  get firstNamed(): SyntaxNode | null {
    for (const child of this.children) {
      if (child.named) return child;
    }
    return null;
  }

  get namedChildren(): SyntaxNode[] {
    return this.children.filter((child) => child.named);
  }
}

/** Make `child` the last child of `parent`. */
export function appendChild(parent: SyntaxNode, child: SyntaxNode): void {
  child.parent = parent;
  if (parent.children === NO_CHILDREN) parent.children = [child];
  else parent.children.push(child);
}

/** The source of one file and the offsets where its lines start. */
export class SourceText {
  private lineStarts: number[] | null = null;

  constructor(readonly text: string) {}

  /** Convert a string offset into a 1-based line and column. */
  position(offset: number): { line: number; column: number } {
    const starts = this.getLineStarts();
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
  }

  /** The text of a 1-based line, without its line break. */
  lineText(line: number): string {
    const starts = this.getLineStarts();
    const start = starts[line - 1];
    if (start === undefined) return "";
    const next = starts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, "");
  }

  get lineCount(): number {
    return this.getLineStarts().length;
  }

  private getLineStarts(): number[] {
    if (this.lineStarts) return this.lineStarts;
    const starts = [0];
    let index = this.text.indexOf("\n");
    while (index !== -1) {
      starts.push(index + 1);
      index = this.text.indexOf("\n", index + 1);
    }
    this.lineStarts = starts;
    return starts;
  }
}

/** Yield `node` and every node below it, depth first, in source order. */
export function* descendants(
  node: SyntaxNode,
  skip?: (node: SyntaxNode) => boolean,
): Generator<SyntaxNode> {
  const stack: SyntaxNode[] = [node];
  while (stack.length > 0) {
    const current = stack.pop() as SyntaxNode;
    yield current;
    for (let i = current.children.length - 1; i >= 0; i--) {
      const child = current.children[i] as SyntaxNode;
      if (!skip || !skip(child)) stack.push(child);
    }
  }
}

/** The nearest ancestor of `node` whose type is one of `types`. */
export function ancestorOfType(
  node: SyntaxNode,
  types: ReadonlySet<string>,
): SyntaxNode | null {
  let current = node.parent;
  while (current) {
    if (types.has(current.type)) return current;
    current = current.parent;
  }
  return null;
}

/** True when `inner` lies inside `outer` (or is `outer`). */
export function contains(outer: SyntaxNode, inner: SyntaxNode): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}
