import type { Parser } from "web-tree-sitter";
import { FileContext } from "./analysis/context.js";
import { collectFacts, importedModule, type FileFacts } from "./analysis/facts.js";
import { parsePython } from "./parse/parser.js";
import { RULE_IDS, SUPPRESSION_RULE } from "./rules/registry.js";
import { applySuppressions, readSuppressions } from "./suppressions.js";
import type { CandidateFinding, FindingCondition, Reporter, Rule } from "./types.js";

const MAX_SNIPPET = 200;

/** The outcome of scanning one file's source. */
export interface FileScanResult {
  candidates: CandidateFinding[];
  facts: FileFacts;
  lines: number;
  errors: { kind: "parse" | "internal"; message: string; line?: number }[];
}

/**
 * Parse `text` once and run every rule on the shared tree. A rule that throws
 * is reported as an internal error on this file; the other rules still run.
 */
export function scanSource(
  parser: Parser,
  text: string,
  rules: readonly Rule[],
  options: { path: string; reportSuppressionProblems: boolean },
): FileScanResult {
  const parsed = parsePython(parser, text);
  const emptyFacts: FileFacts = { path: options.path, classes: [], globalRateLimit: false };
  if (!("root" in parsed)) {
    const lines = text.split("\n").length;
    return { candidates: [], facts: emptyFacts, lines, errors: [{ kind: "parse", ...parsed }] };
  }
  const file = new FileContext(options.path, parsed);
  const candidates: CandidateFinding[] = [];
  const errors: FileScanResult["errors"] = [];
  for (const rule of rules) {
    try {
      rule.check(file, reporterFor(file, rule, candidates));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      errors.push({ kind: "internal", message: `rule ${rule.id} failed on this file: ${detail}` });
    }
  }
  const { kept, problems } = applySuppressions(candidates, readSuppressions(file), RULE_IDS);
  if (options.reportSuppressionProblems) {
    for (const { suppression, message } of problems) {
      kept.push(candidateAt(file, SUPPRESSION_RULE.id, SUPPRESSION_RULE.severity, suppression, message));
    }
  }
  let facts = emptyFacts;
  try {
    facts = collectFacts(file);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    errors.push({ kind: "internal", message: `reading class facts failed on this file: ${detail}` });
  }
  return { candidates: kept, facts, lines: file.source.lineCount, errors };
}

function reporterFor(file: FileContext, rule: Rule, sink: CandidateFinding[]): Reporter {
  const seen = new Set<string>();
  return (node, message, extra = {}) => {
    const key = `${node.start}:${node.end}:${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    const candidate = candidateAt(file, rule.id, extra.severity ?? rule.severity, node, message);
    if (extra.condition) candidate.condition = withImportSource(file, extra.condition);
    sink.push(candidate);
  };
}

/** Record where the using file imports a condition's class from. */
function withImportSource(file: FileContext, condition: FindingCondition): FindingCondition {
  if (!("model" in condition)) return condition;
  const importedFrom = importedModule(file, condition.model);
  return importedFrom === null ? condition : { ...condition, importedFrom };
}

function candidateAt(
  file: FileContext,
  ruleId: string,
  severity: CandidateFinding["severity"],
  node: { start: number; end: number },
  message: string,
): CandidateFinding {
  const start = file.source.position(node.start);
  const end = file.source.position(node.end);
  const snippet = file.source.lineText(start.line).trim().slice(0, MAX_SNIPPET);
  return {
    ruleId,
    severity,
    message,
    snippet,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
  };
}
