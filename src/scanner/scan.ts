import { UsageError } from "../errors.js";
import { ProjectFacts } from "./analysis/facts.js";
import { findProjectConfig, type ProjectConfig } from "./config.js";
import { runFileJob, type FileJob, type FileJobResult } from "./file-job.js";
import { discoverFiles, type ScanTarget } from "./files.js";
import { getParser } from "./parse/parser.js";
import { ALL_RULE_INFO, findRuleInfo, RULE_IDS, RULES, SUPPRESSION_RULE } from "./rules/registry.js";
import { runInWorkers, workerCount, type LocalRunner } from "./pool.js";
import { severityRank, type CandidateFinding, type Finding, type Rule, type ScanError, type ScanOptions, type ScanReport } from "./types.js";

/** Files above this size are skipped; generated and hand-written modules are far smaller. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

export function defaultScanOptions(): ScanOptions {
  return {
    cwd: process.cwd(),
    rules: [],
    exclude: [],
    minSeverity: "low",
    maxFileBytes: DEFAULT_MAX_FILE_BYTES,
    useConfig: true,
  };
}

/**
 * Scan files and folders for insecure FastAPI code. Every file is parsed
 * once and all enabled rules share the tree. Unreadable, binary, undecodable,
 * oversized and unparsable files are listed in `errors`, and the scan goes
 * on. Throws UsageError for unknown rule ids, and CliError for an invalid
 * `[tool.secure-fastapi]` table.
 */
export async function scanPaths(paths: string[], options: Partial<ScanOptions> = {}): Promise<ScanReport> {
  const settings: ScanOptions = { ...defaultScanOptions(), ...options };
  validateRuleIds(settings.rules);
  const configs = new Map<string, Promise<ProjectConfig | null>>();
  const configFor = (dir: string): Promise<ProjectConfig | null> => {
    if (!settings.useConfig) return Promise.resolve(null);
    let config = configs.get(dir);
    if (!config) {
      config = findProjectConfig(dir);
      configs.set(dir, config);
    }
    return config;
  };
  const discovery = await discoverFiles(paths.length > 0 ? paths : ["."], {
    cwd: settings.cwd,
    exclude: settings.exclude,
    configFor,
  });
  for (const config of await Promise.all(configs.values())) {
    if (config) validateRuleIds(config.disable, config.file);
  }
  const jobs: FileJob[] = discovery.targets.map((target) => {
    const enabled = enabledRules(settings, target.config);
    return {
      target,
      maxFileBytes: settings.maxFileBytes,
      ruleIds: enabled.rules.map((rule) => rule.id),
      reportSuppressionProblems: enabled.suppressionProblems,
    };
  });
  const results = await runJobs(jobs, settings.workers);
  const facts = new ProjectFacts();
  const pending: { target: ScanTarget; candidate: CandidateFinding }[] = [];
  const errors: ScanError[] = [...discovery.errors];
  let filesScanned = 0;
  let linesScanned = 0;
  results.forEach((outcome, index) => {
    const target = (jobs[index] as FileJob).target;
    if ("error" in outcome) {
      errors.push(outcome.error);
      return;
    }
    const result = outcome.result;
    if (!result.errors.some((error) => error.kind === "parse")) {
      filesScanned++;
      linesScanned += result.lines;
    }
    facts.add(result.facts);
    for (const error of result.errors) {
      errors.push({
        path: target.display,
        kind: error.kind,
        message: error.kind === "parse" ? `parse error: ${error.message}` : error.message,
        explicit: target.explicit && error.kind === "parse",
        ...(error.line ? { line: error.line } : {}),
      });
    }
    for (const candidate of result.candidates) pending.push({ target, candidate });
  });
  const findings = pending
    .filter(({ target, candidate }) => !candidate.condition || facts.holds(candidate.condition, target.display))
    .filter(({ candidate }) => severityRank(candidate.severity) >= severityRank(settings.minSeverity))
    .map(({ target, candidate }) => toFinding(target, candidate));
  findings.sort(compareFindings);
  errors.sort((a, b) => compareText(a.path, b.path));
  return { findings, errors, filesScanned, linesScanned, rules: [...ALL_RULE_INFO] };
}

async function runJobs(jobs: FileJob[], requestedWorkers: number | undefined): Promise<FileJobResult[]> {
  const count = workerCount(jobs, requestedWorkers);
  const prepareLocal = async (): Promise<LocalRunner> => {
    const parser = await getParser();
    return (job) => runFileJob(parser, job);
  };
  if (count > 0) return runInWorkers(jobs, count, prepareLocal);
  return jobs.map(await prepareLocal());
}

function validateRuleIds(ids: readonly string[], source?: string): void {
  const unknown = ids.filter((id) => !RULE_IDS.has(id.toUpperCase()));
  if (unknown.length === 0) return;
  const where = source ? ` in ${source}` : "";
  throw new UsageError(
    `Unknown rule id${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}${where}`,
    `Valid ids: ${[...RULE_IDS].join(", ")}.`,
  );
}

/** `--rule` selects rules and overrides the config's `disable`; otherwise the config disables. */
function enabledRules(
  settings: ScanOptions,
  config: ProjectConfig | null,
): { rules: Rule[]; suppressionProblems: boolean } {
  const selected = settings.rules.map((id) => id.toUpperCase());
  const isEnabled = (id: string): boolean =>
    selected.length > 0 ? selected.includes(id) : !(config?.disable.includes(id) ?? false);
  return {
    rules: RULES.filter((rule) => isEnabled(rule.id)),
    suppressionProblems: isEnabled(SUPPRESSION_RULE.id),
  };
}

function toFinding(target: ScanTarget, candidate: CandidateFinding): Finding {
  const rule = findRuleInfo(candidate.ruleId);
  return {
    ruleId: candidate.ruleId,
    severity: candidate.severity,
    message: candidate.message,
    hint: rule?.hint ?? "",
    path: target.display,
    line: candidate.line,
    column: candidate.column,
    endLine: candidate.endLine,
    endColumn: candidate.endColumn,
    cwe: rule?.cwe ?? "",
    snippet: candidate.snippet,
  };
}

function compareFindings(a: Finding, b: Finding): number {
  if (a.path !== b.path) return compareText(a.path, b.path);
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  return compareText(a.ruleId, b.ruleId);
}

/** Compare by UTF-16 code units, so the order does not depend on the locale. */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
