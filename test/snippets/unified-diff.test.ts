import { execa } from "execa";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unifiedDiff } from "../../src/snippets/unified-diff.js";

let workspace: string;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "csf-diff-"));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const LABELS = { oldLabel: "a/file.py", newLabel: "b/file.py" };

/** Apply a diff with `git apply` (outside a repository it works like patch) and return the result. */
async function applyWithGit(oldText: string, diff: string): Promise<string> {
  const file = path.join(workspace, "file.py");
  await writeFile(file, oldText);
  await execa("git", ["apply", "--whitespace=nowarn", "-"], { cwd: workspace, input: diff });
  return readFile(file, "utf8");
}

/** Deterministic pseudo-random generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function mutate(lines: string[], next: () => number): string[] {
  const result = [...lines];
  const changes = 1 + Math.floor(next() * 6);
  for (let i = 0; i < changes; i++) {
    const at = Math.floor(next() * (result.length + 1));
    const choice = next();
    if (choice < 0.4) result.splice(at, 1);
    else if (choice < 0.8) result.splice(at, 0, `new ${i} ${Math.floor(next() * 100)}`);
    else result[at] = `changed ${i}`;
  }
  return result;
}

describe("unifiedDiff", () => {
  it("returns nothing for equal texts", () => {
    expect(unifiedDiff("a\nb\n", "a\nb\n", LABELS)).toBe("");
  });

  it("formats one changed line with context", () => {
    const before = "1\n2\n3\n4\n5\n6\n7\n8\n";
    const after = "1\n2\n3\n4\nfive\n6\n7\n8\n";
    expect(unifiedDiff(before, after, LABELS)).toBe(
      "--- a/file.py\n+++ b/file.py\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
    );
  });

  it("splits distant changes into two hunks", () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const changed = [...lines];
    changed[1] = "first";
    changed[18] = "second";
    const diff = unifiedDiff(`${lines.join("\n")}\n`, `${changed.join("\n")}\n`, LABELS);
    expect(diff.match(/^@@ /gm)).toHaveLength(2);
  });

  it("marks a missing final newline", () => {
    const diff = unifiedDiff("a\nb\n", "a\nb", LABELS);
    expect(diff).toContain("-b\n+b\n\\ No newline at end of file\n");
  });

  it("diffs from and to an empty file", async () => {
    expect(unifiedDiff("", "x\ny\n", LABELS)).toContain("@@ -0,0 +1,2 @@\n+x\n+y\n");
    expect(unifiedDiff("x\n", "", LABELS)).toContain("@@ -1 +0,0 @@\n-x\n");
  });

  it("produces patches that git apply applies exactly", async () => {
    const next = random(7);
    const base = Array.from({ length: 40 }, (_, i) => `line ${i % 7} ${i}`);
    for (let round = 0; round < 60; round++) {
      const before = mutate(base, next);
      const after = mutate(before, next);
      const oldText = before.length > 0 ? `${before.join("\n")}\n` : "";
      const newText = after.length > 0 ? `${after.join("\n")}${round % 5 === 0 ? "" : "\n"}` : "";
      const diff = unifiedDiff(oldText, newText, LABELS);
      expect(await applyWithGit(oldText, diff), `round ${round}`).toBe(newText);
    }
  });
});
