import { SEVERITIES, type ScanReport, type Severity } from "../types.js";
import { TOOL_NAME, toolVersion } from "../version.js";

/** Version of the JSON report shape; raised only for incompatible changes. */
export const JSON_REPORT_VERSION = 1;

/** Format the report as the JSON document described in docs/scanner.md. */
export function formatJson(report: ScanReport): string {
  const bySeverity = Object.fromEntries(
    SEVERITIES.map((severity) => [severity, report.findings.filter((finding) => finding.severity === severity).length]),
  ) as Record<Severity, number>;
  const document = {
    version: JSON_REPORT_VERSION,
    tool: { name: TOOL_NAME, version: toolVersion() },
    summary: {
      filesScanned: report.filesScanned,
      linesScanned: report.linesScanned,
      findings: report.findings.length,
      bySeverity,
      errors: report.errors.length,
    },
    findings: report.findings.map((finding) => ({
      ruleId: finding.ruleId,
      severity: finding.severity,
      message: finding.message,
      hint: finding.hint,
      path: finding.path,
      line: finding.line,
      column: finding.column,
      endLine: finding.endLine,
      endColumn: finding.endColumn,
      cwe: finding.cwe,
      snippet: finding.snippet ?? null,
    })),
    errors: report.errors.map((error) => ({
      path: error.path,
      kind: error.kind,
      message: error.message,
      explicit: error.explicit,
      line: error.line ?? null,
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
