/**
 * Line-based unified diff (the format of `diff -u` and `git diff`), computed
 * with Myers' O((N+M)D) algorithm. Used to preview changes before anything
 * is written, so it needs no git and no temporary files.
 */

type Operation = " " | "-" | "+";

interface Edit {
  op: Operation;
  /** The line, with its "\n" when it has one. */
  line: string;
}

const DEFAULT_CONTEXT = 3;
const NO_NEWLINE = "\\ No newline at end of file";

/** Split text into lines that keep their "\n", so a missing final newline counts as a change. */
function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === "" ? [] : lines;
}

/** Shortest edit script from `a` to `b` as a list of kept, removed and added lines. */
function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  const max = a.length + b.length;
  const offset = max + 1;
  const furthest = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let depth = 0; depth <= max; depth++) {
    trace.push(furthest.slice());
    for (let k = -depth; k <= depth; k += 2) {
      const down = k === -depth || (k !== depth && (furthest[k - 1 + offset] ?? 0) < (furthest[k + 1 + offset] ?? 0));
      let x = down ? (furthest[k + 1 + offset] ?? 0) : (furthest[k - 1 + offset] ?? 0) + 1;
      let y = x - k;
      while (x < a.length && y < b.length && a[x] === b[y]) {
        x++;
        y++;
      }
      furthest[k + offset] = x;
      if (x >= a.length && y >= b.length) return backtrack(trace, a, b, offset);
    }
  }
  throw new Error("unreachable: the edit script is at most a.length + b.length long");
}

/** Walk the saved frontier of each depth back from the end to recover the edits. */
function backtrack(trace: Int32Array[], a: readonly string[], b: readonly string[], offset: number): Edit[] {
  const edits: Edit[] = [];
  let x = a.length;
  let y = b.length;
  for (let depth = trace.length - 1; depth >= 0; depth--) {
    const frontier = trace[depth] as Int32Array;
    const k = x - y;
    const down = k === -depth || (k !== depth && (frontier[k - 1 + offset] ?? 0) < (frontier[k + 1 + offset] ?? 0));
    const previousK = down ? k + 1 : k - 1;
    const previousX = frontier[previousK + offset] ?? 0;
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      edits.push({ op: " ", line: a[x - 1] as string });
      x--;
      y--;
    }
    if (depth > 0) {
      if (x === previousX) edits.push({ op: "+", line: b[y - 1] as string });
      else edits.push({ op: "-", line: a[x - 1] as string });
    }
    x = previousX;
    y = previousY;
  }
  return edits.reverse();
}

function range(start: number, length: number): string {
  // An empty range names the line before it, as GNU diff and git do.
  const first = length === 0 ? start : start + 1;
  return length === 1 ? `${first}` : `${first},${length}`;
}

function formatLine(edit: Edit): string {
  if (edit.line.endsWith("\n")) return `${edit.op}${edit.line}`;
  return `${edit.op}${edit.line}\n${NO_NEWLINE}\n`;
}

export interface DiffLabels {
  oldLabel: string;
  newLabel: string;
  context?: number;
}

/** Unified diff from `oldText` to `newText`; an empty string when they are equal. */
export function unifiedDiff(oldText: string, newText: string, labels: DiffLabels): string {
  if (oldText === newText) return "";
  const context = labels.context ?? DEFAULT_CONTEXT;
  const edits = diffLines(splitLines(oldText), splitLines(newText));
  const changed = edits.flatMap((edit, index) => (edit.op === " " ? [] : [index]));
  let output = `--- ${labels.oldLabel}\n+++ ${labels.newLabel}\n`;
  let cursor = 0;
  while (cursor < changed.length) {
    // Grow the hunk while the next change is close enough to share context.
    let last = cursor;
    while (last + 1 < changed.length && (changed[last + 1] as number) - (changed[last] as number) <= 2 * context) {
      last++;
    }
    const start = Math.max(0, (changed[cursor] as number) - context);
    const end = Math.min(edits.length, (changed[last] as number) + context + 1);
    output += formatHunk(edits, start, end);
    cursor = last + 1;
  }
  return output;
}

function formatHunk(edits: readonly Edit[], start: number, end: number): string {
  let oldStart = 0;
  let newStart = 0;
  for (const edit of edits.slice(0, start)) {
    if (edit.op !== "+") oldStart++;
    if (edit.op !== "-") newStart++;
  }
  const hunk = edits.slice(start, end);
  const oldLength = hunk.filter((edit) => edit.op !== "+").length;
  const newLength = hunk.filter((edit) => edit.op !== "-").length;
  const header = `@@ -${range(oldStart, oldLength)} +${range(newStart, newLength)} @@\n`;
  return header + hunk.map(formatLine).join("");
}
