import { SEVERITIES, type ScanError, type ScanReport, type Severity } from "../types.js";

const RESET = "\u001b[0m";
const BOLD = "\u001b[1m";
const DIM = "\u001b[2m";
const SEVERITY_COLORS: Record<Severity, string> = {
  high: "\u001b[31m",
  medium: "\u001b[33m",
  low: "\u001b[36m",
};

/**
 * Format findings as `path:line:col: RULE-ID severity message`, each
 * followed by an indented fix hint, then a one-line summary.
 */
export function formatText(report: ScanReport, options: { color: boolean }): string {
  const paint = (code: string, text: string): string => (options.color ? `${code}${text}${RESET}` : text);
  const lines: string[] = [];
  for (const finding of report.findings) {
    const where = paint(BOLD, `${finding.path}:${finding.line}:${finding.column}:`);
    const severity = paint(SEVERITY_COLORS[finding.severity], finding.severity);
    lines.push(`${where} ${finding.ruleId} ${severity} ${finding.message}`);
    lines.push(paint(DIM, `    fix: ${finding.hint}`));
  }
  lines.push(summaryLine(report));
  return `${lines.join("\n")}\n`;
}

function summaryLine(report: ScanReport): string {
  const files = `${report.filesScanned} file${report.filesScanned === 1 ? "" : "s"}`;
  if (report.findings.length === 0) return `No findings in ${files}.`;
  const counts = [...SEVERITIES]
    .reverse()
    .map((severity) => [severity, report.findings.filter((finding) => finding.severity === severity).length] as const)
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`);
  const total = report.findings.length;
  return `${total} finding${total === 1 ? "" : "s"} (${counts.join(", ")}) in ${files}.`;
}

/** One stderr line per file that could not be scanned. */
export function formatScanErrors(errors: readonly ScanError[]): string {
  return errors
    .map((error) => `${error.explicit ? "error" : "warning"}: ${error.path}: ${error.message}\n`)
    .join("");
}

/** True when output should be coloured: a terminal, and `NO_COLOR` unset or empty. */
export function shouldColor(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  const noColor = env.NO_COLOR;
  return isTTY && (noColor === undefined || noColor === "");
}
