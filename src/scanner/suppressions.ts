import type { FileContext } from "./analysis/context.js";
import type { CandidateFinding } from "./types.js";

/** A `# secure-fastapi: ignore[RULE] reason` comment. */
export interface Suppression {
  line: number;
  ruleIds: string[];
  reason: string;
  /** True when the comment is alone on its line, so it applies to the next line. */
  standalone: boolean;
  start: number;
  end: number;
}

const MARKER = /secure-fastapi\s*:\s*ignore\b(?:\[([^\]]*)\])?(.*)$/i;

export const SUPPRESSION_RULE_ID = "SFA000";

/** Read suppression comments from the parsed comment nodes (never from strings). */
export function readSuppressions(file: FileContext): Suppression[] {
  const suppressions: Suppression[] = [];
  for (const comment of file.nodes("comment")) {
    const match = MARKER.exec(comment.text);
    if (!match) continue;
    const { line, column } = file.source.position(comment.start);
    const before = file.source.lineText(line).slice(0, column - 1);
    suppressions.push({
      line,
      ruleIds: (match[1] ?? "")
        .split(",")
        .map((id) => id.trim().toUpperCase())
        .filter((id) => id !== ""),
      // The reason ends where another comment (`# noqa`, `# type: ignore`) starts.
      reason: ((match[2] ?? "").split(/\s#/)[0] ?? "").replace(/^[\s:;,.-]+/, "").trim(),
      standalone: before.trim() === "",
      start: comment.start,
      end: comment.end,
    });
  }
  return suppressions;
}

/**
 * Drop candidates that a valid suppression covers: one on the finding's first
 * line, or alone on the line just above it. Returns the kept candidates and
 * problems with the comments themselves (no rule, unknown rule, no reason),
 * which are reported under SFA000 and suppress nothing.
 */
export function applySuppressions(
  candidates: CandidateFinding[],
  suppressions: Suppression[],
  knownRuleIds: ReadonlySet<string>,
): { kept: CandidateFinding[]; problems: { suppression: Suppression; message: string }[] } {
  const problems: { suppression: Suppression; message: string }[] = [];
  const valid: Suppression[] = [];
  for (const suppression of suppressions) {
    const problem = suppressionProblem(suppression, knownRuleIds);
    if (problem) problems.push({ suppression, message: problem });
    else valid.push(suppression);
  }
  const kept = candidates.filter(
    (candidate) =>
      !valid.some(
        (suppression) =>
          suppression.ruleIds.includes(candidate.ruleId) &&
          (suppression.line === candidate.line ||
            (suppression.standalone && suppression.line === candidate.line - 1)),
      ),
  );
  return { kept, problems };
}

function suppressionProblem(suppression: Suppression, knownRuleIds: ReadonlySet<string>): string | null {
  if (suppression.ruleIds.length === 0) {
    return "Suppression comment names no rule; write `# secure-fastapi: ignore[SFA006] reason`";
  }
  const unknown = suppression.ruleIds.filter((id) => !knownRuleIds.has(id));
  if (unknown.length > 0) {
    return `Suppression comment names unknown rule ${unknown.join(", ")}`;
  }
  if (suppression.reason === "") {
    return `Suppression of ${suppression.ruleIds.join(", ")} has no reason; add why the code is safe after the brackets`;
  }
  return null;
}
