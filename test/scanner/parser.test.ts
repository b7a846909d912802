import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RawCursor } from "../../src/scanner/parse/cursor.js";
import { copyTree, getParser, openCursor, parsePython, rawCursorBinding } from "../../src/scanner/parse/parser.js";
import { SourceText, type SyntaxNode } from "../../src/scanner/parse/syntax.js";
import { FIXTURES, fixtureFiles } from "./helpers.js";

/** List every node as `depth type field start-end named`, depth first, so two copies compare line by line. */
function outline(root: SyntaxNode): string[] {
  const lines: string[] = [];
  const stack: [SyntaxNode, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [SyntaxNode, number];
    lines.push(`${depth} ${node.type} ${node.field ?? "-"} ${node.start}-${node.end} ${node.named}`);
    for (let i = node.children.length - 1; i >= 0; i--) {
      const child = node.children[i] as SyntaxNode;
      expect(child.parent).toBe(node);
      stack.push([child, depth + 1]);
    }
  }
  return lines;
}

/** Copy `text` twice, once through each cursor, and return both outlines and type indexes. */
async function copyBothWays(text: string) {
  const parser = await getParser();
  const tree = parser.parse(text);
  if (!tree) throw new Error("tree-sitter returned no tree");
  try {
    const source = new SourceText(text);
    const rawIndex = new Map<string, SyntaxNode[]>();
    const publicIndex = new Map<string, SyntaxNode[]>();
    const raw = copyTree(tree, source, rawIndex);
    const viaPublic = copyTree(tree, source, publicIndex, openCursor(tree, null));
    const counts = (index: Map<string, SyntaxNode[]>) =>
      [...index].map(([type, nodes]) => `${type}:${nodes.length}`).sort();
    return { raw: outline(raw), viaPublic: outline(viaPublic), rawCounts: counts(rawIndex), publicCounts: counts(publicIndex) };
  } finally {
    tree.delete();
  }
}

describe("tree copy", () => {
  it("uses the raw cursor", async () => {
    await getParser();
    expect(rawCursorBinding()).not.toBeNull();
  });

  it("hands a deep position back to the public cursor", async () => {
    const parser = await getParser();
    const binding = rawCursorBinding();
    if (!binding) throw new Error("no raw cursor binding");
    // Deep enough that the cursor's stack grows and moves during the walk.
    const chain = Array.from({ length: 3000 }, (_, index) => `v${index}`).join(" + ");
    const tree = parser.parse(`${chain}\n`);
    if (!tree) throw new Error("tree-sitter returned no tree");
    const treeCursor = tree.walk();
    try {
      const raw = new RawCursor(binding, tree, treeCursor);
      let depth = 0;
      while (raw.gotoFirstChild()) depth++;
      const start = raw.startIndex();
      raw.syncBack();
      expect(depth).toBe(3001);
      expect(treeCursor.currentDepth).toBe(depth);
      expect(treeCursor.nodeType).toBe("identifier");
      expect(treeCursor.startIndex).toBe(start);
      expect(treeCursor.gotoParent()).toBe(true);
      expect(treeCursor.nodeType).toBe("binary_operator");
    } finally {
      treeCursor.delete();
      tree.delete();
    }
  });

  it.each(fixtureFiles())("matches the public cursor on $file", async ({ file }) => {
    const copies = await copyBothWays(readFileSync(path.join(FIXTURES, file), "utf8"));
    expect(copies.raw.length).toBeGreaterThan(10);
    expect(copies.raw).toEqual(copies.viaPublic);
    expect(copies.rawCounts).toEqual(copies.publicCounts);
  });

  it("matches the public cursor on deep nesting", async () => {
    // Deep enough that the cursor's stack grows and moves during the walk.
    const chain = Array.from({ length: 3000 }, (_, index) => `v${index}`).join(" + ");
    const copies = await copyBothWays(`x = (${chain})\nprint(f"{x!r:>{width}}")\n`);
    expect(copies.raw).toEqual(copies.viaPublic);
    expect(copies.rawCounts).toEqual(copies.publicCounts);
  });

  it("gives stable copies after deep walks", async () => {
    // Deep walks move the cursor's stack. Freeing a stale stack address can
    // corrupt the WebAssembly heap, which may show up in later copies.
    const sample = readFileSync(path.join(FIXTURES, fixtureFiles()[0]?.file ?? ""), "utf8");
    const expected = await copyBothWays(sample);
    for (let round = 0; round < 40; round++) {
      const depth = 200 + round * 50;
      const chain = Array.from({ length: depth }, (_, index) => `v${index}`).join(" + ");
      const parsed = parsePython(await getParser(), `def f(v0):\n    return ${chain}\n`);
      if (!("root" in parsed)) throw new Error(parsed.message);
      expect(parsed.byType.get("binary_operator")?.length).toBe(depth - 1);
      const again = await copyBothWays(sample);
      expect(again.raw).toEqual(expected.raw);
      expect(again.viaPublic).toEqual(expected.raw);
    }
  });

  it("keeps operators and drops punctuation", async () => {
    const parsed = parsePython(await getParser(), "a = b + c[1]\n");
    if (!("root" in parsed)) throw new Error(parsed.message);
    const operator = parsed.byType.get("+")?.[0];
    expect(operator?.field).toBe("operator");
    expect(operator?.named).toBe(false);
    expect(parsed.byType.has("[")).toBe(false);
    expect(parsed.byType.has("=")).toBe(false);
  });
});
