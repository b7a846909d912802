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
    const where = paint(BOLD, `${escapeControl(finding.path)}:${finding.line}:${finding.column}:`);
    const severity = paint(SEVERITY_COLORS[finding.severity], finding.severity);
    lines.push(`${where} ${finding.ruleId} ${severity} ${escapeControl(finding.message)}`);
    lines.push(paint(DIM, `    fix: ${escapeControl(finding.hint)}`));
  }
  lines.push(summaryLine(report));
  return `${lines.join("\n")}\n`;
}

/**
 * Summarise the findings, the files they are in and the files scanned:
 * "3 findings (3 high) in 1 of 3 files." When any path could not be scanned
 * the line reports it. It starts with "Scan failed" when one of them was
 * named on the command line, which is when the exit code is 2.
 */
function summaryLine(report: ScanReport): string {
  const files = filesPart(report);
  const findings = findingsPart(report);
  const failed = report.errors.filter((error) => error.explicit).length;
  const skipped = report.errors.length - failed;
  if (failed > 0) {
    const notScanned = `${plural(failed, "path")} named on the command line could not be scanned`;
    const others = skipped > 0 ? `, and ${plural(skipped, "other file")} could not be scanned` : "";
    return `Scan failed: ${notScanned}${others}. ${findings} in ${files} scanned.`;
  }
  if (skipped > 0) return `${findings} in ${files}; ${plural(skipped, "file")} could not be scanned.`;
  return `${findings} in ${files}.`;
}

/** "3 files" when no file or every scanned file has findings, else "1 of 3 files". */
function filesPart(report: ScanReport): string {
  const scanned = plural(report.filesScanned, "file");
  const withFindings = new Set(report.findings.map((finding) => finding.path)).size;
  if (withFindings === 0 || withFindings === report.filesScanned) return scanned;
  return `${withFindings} of ${scanned}`;
}

function findingsPart(report: ScanReport): string {
  if (report.findings.length === 0) return "No findings";
  const counts = [...SEVERITIES]
    .reverse()
    .map((severity) => [severity, report.findings.filter((finding) => finding.severity === severity).length] as const)
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`);
  return `${plural(report.findings.length, "finding")} (${counts.join(", ")})`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** One stderr line per file that could not be scanned. */
export function formatScanErrors(errors: readonly ScanError[]): string {
  return errors
    .map((error) => `${error.explicit ? "error" : "warning"}: ${escapeControl(error.path)}: ${escapeControl(error.message)}\n`)
    .join("");
}

/** C0 controls except tab, DEL and C1 controls, ESC included. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * Replace control characters with `\xNN` escapes, so that file names and
 * code quoted in messages cannot move the cursor, retitle the window or
 * send other terminal escape sequences.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** True when output should be coloured: a terminal, and `NO_COLOR` unset or empty. */
export function shouldColor(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  const noColor = env.NO_COLOR;
  return isTTY && (noColor === undefined || noColor === "");
}
