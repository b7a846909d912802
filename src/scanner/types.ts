import type { FileContext } from "./analysis/context.js";

export const SEVERITIES = ["low", "medium", "high"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rank of a severity, so that thresholds compare with `>=`. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** A 1-based source range; columns count UTF-16 code units, as SARIF does by default. */
export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** One reported problem, in the shape documented in docs/scanner.md. */
export interface Finding extends SourceRange {
  ruleId: string;
  severity: Severity;
  message: string;
  hint: string;
  /** Path relative to the working folder, with `/` separators; absolute when outside it. */
  path: string;
  cwe: string;
  snippet?: string;
}

export type ScanErrorKind =
  | "not-found"
  | "unreadable"
  | "binary"
  | "encoding"
  | "too-large"
  | "not-regular"
  | "parse"
  | "internal";

/** A file or folder that could not be scanned. */
export interface ScanError {
  path: string;
  kind: ScanErrorKind;
  /** What went wrong, without the path: `cannot be read (permission denied)`. */
  message: string;
  /** True when the user named this path on the command line. */
  explicit: boolean;
  line?: number;
}

/** The result of one scan. */
export interface ScanReport {
  findings: Finding[];
  errors: ScanError[];
  filesScanned: number;
  linesScanned: number;
  rules: RuleInfo[];
}

export interface ScanOptions {
  /** Folder that relative paths, excludes and report paths are resolved against. */
  cwd: string;
  /** Rule ids to run; empty means every rule not disabled by configuration. */
  rules: string[];
  /** Extra glob patterns to exclude, relative to `cwd`. */
  exclude: string[];
  minSeverity: Severity;
  /** Files larger than this many bytes are skipped and listed in `errors`. */
  maxFileBytes: number;
  /** Read `[tool.secure-fastapi]` from the nearest pyproject.toml. */
  useConfig: boolean;
  /**
   * Worker threads to start besides the calling thread, which scans too; 0
   * scans in the calling thread only. By default, when running compiled on 2
   * or more CPUs, scans of at least 2 MiB of source start one worker.
   */
  workers?: number;
}

/** The static description of a rule, as reporters need it. */
export interface RuleInfo {
  id: string;
  title: string;
  cwe: string;
  /** Further CWE ids that describe the weakness more narrowly. */
  relatedCwes?: string[];
  severity: Severity;
  description: string;
  hint: string;
}

/**
 * A finding before project-wide facts are known. `condition`, when present,
 * is checked after every file has been read, and the finding is kept only if
 * it holds.
 */
export interface CandidateFinding extends SourceRange {
  ruleId: string;
  severity: Severity;
  message: string;
  snippet: string;
  condition?: FindingCondition;
}

/**
 * Facts about classes defined in other files that decide whether a candidate
 * is kept. Each is serialisable so that files can be scanned independently.
 */
export type FindingCondition =
  | ({ kind: "private-model" } & ClassReference)
  | ({ kind: "sensitive-table-model" } & ClassReference)
  | ({ kind: "sensitive-table-field"; field: string } & ClassReference)
  | ({ kind: "sensitive-output-model" } & ClassReference)
  | ({ kind: "unbounded-text-field"; fields: string[] } & ClassReference)
  | { kind: "no-global-rate-limit" };

/** A class named at the use site, so that facts come from the class it refers to. */
export interface ClassReference {
  /** The name as written, possibly dotted (`models.User`). */
  model: string;
  /**
   * The absolute module that the using file imports the name from
   * (`app.models`, with relative imports resolved); set by the scanner.
   */
  importedFrom?: string;
}

/** A rule record in the registry. */
export interface Rule extends RuleInfo {
  check(file: FileContext, report: Reporter): void;
}

/** Collects candidates for one rule in one file. */
export type Reporter = (
  node: { start: number; end: number },
  message: string,
  extra?: { severity?: Severity; condition?: FindingCondition },
) => void;
