import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import path from "node:path";
import type { Finding, RuleInfo, ScanReport, Severity } from "../types.js";
import { TOOL_NAME, TOOL_URI, toolVersion } from "../version.js";

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/** SARIF `level` for each severity. */
const LEVELS: Record<Severity, "error" | "warning" | "note"> = {
  high: "error",
  medium: "warning",
  low: "note",
};

/**
 * GitHub code scanning maps `security-severity` to its own levels:
 * 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
 */
const SECURITY_SEVERITY: Record<Severity, string> = {
  high: "8.0",
  medium: "5.5",
  low: "3.0",
};

/**
 * Format the report as SARIF 2.1.0 for GitHub code scanning: one run, every
 * rule with descriptions, help and CWE tags, results with 1-based regions
 * relative to `%SRCROOT%` (the working folder) and a line fingerprint.
 */
export function formatSarif(report: ScanReport, options: { cwd: string }): string {
  const ruleIndex = new Map(report.rules.map((rule, index) => [rule.id, index]));
  const fingerprints = lineFingerprints(report.findings);
  const document = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            version: toolVersion(),
            semanticVersion: toolVersion(),
            informationUri: TOOL_URI,
            rules: report.rules.map(sarifRule),
          },
        },
        originalUriBaseIds: {
          "%SRCROOT%": { uri: pathToFileURL(options.cwd + path.sep).href },
        },
        columnKind: "utf16CodeUnits",
        results: report.findings.map((finding, index) => ({
          ruleId: finding.ruleId,
          ruleIndex: ruleIndex.get(finding.ruleId) ?? 0,
          level: LEVELS[finding.severity],
          message: { text: finding.message },
          locations: [{ physicalLocation: physicalLocation(finding) }],
          partialFingerprints: { primaryLocationLineHash: fingerprints[index] },
          properties: { severity: finding.severity, cwe: finding.cwe },
        })),
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.errors.map((error) => ({
              level: error.explicit ? "error" : "warning",
              message: { text: `${error.path}: ${error.message}` },
              locations: [{ physicalLocation: { artifactLocation: artifactLocation(error.path) } }],
            })),
          },
        ],
      },
    ],
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

// Value of the `problem.severity` rule property for each severity.
const PROBLEM_SEVERITY: Record<Severity, string> = { high: "error", medium: "warning", low: "recommendation" };

function sarifRule(rule: RuleInfo) {
  const cwes = [rule.cwe, ...(rule.relatedCwes ?? [])];
  const links = cwes.map((cwe) => `[${cwe}](${cweUrl(cwe)})`).join(", ");
  return {
    id: rule.id,
    name: pascalCase(rule.title),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.description },
    help: {
      text: `${rule.description}\n\nFix: ${rule.hint}\n\n${cwes.join(", ")}`,
      markdown: `${rule.description}\n\n**Fix:** ${rule.hint}\n\n${links}`,
    },
    helpUri: cweUrl(rule.cwe),
    defaultConfiguration: { level: LEVELS[rule.severity] },
    properties: {
      tags: ["security", ...cwes.map((cwe) => `external/cwe/${cwe.toLowerCase()}`)],
      "security-severity": SECURITY_SEVERITY[rule.severity],
      precision: "high",
      "problem.severity": PROBLEM_SEVERITY[rule.severity],
    },
  };
}

function cweUrl(cwe: string): string {
  return `https://cwe.mitre.org/data/definitions/${cwe.replace(/^CWE-/i, "")}.html`;
}

function pascalCase(title: string): string {
  return title
    .replace(/[^A-Za-z0-9 ]/g, " ")
    .split(/\s+/)
    .filter((word) => word !== "")
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join("");
}

function physicalLocation(finding: Finding) {
  return {
    artifactLocation: artifactLocation(finding.path),
    region: {
      startLine: finding.line,
      startColumn: finding.column,
      endLine: finding.endLine,
      endColumn: finding.endColumn,
      ...(finding.snippet ? { snippet: { text: finding.snippet } } : {}),
    },
  };
}

/** A relative path becomes a URI under `%SRCROOT%`; an absolute one a `file:` URI. */
function artifactLocation(displayPath: string): { uri: string; uriBaseId?: string } {
  if (path.isAbsolute(displayPath)) return { uri: pathToFileURL(displayPath).href };
  return { uri: displayPath.split("/").map(encodeURIComponent).join("/"), uriBaseId: "%SRCROOT%" };
}

/**
 * A fingerprint per finding that survives edits elsewhere in the file: a hash
 * of the rule id and the whitespace-normalised line, plus the occurrence
 * number among identical lines of the same file.
 */
function lineFingerprints(findings: readonly Finding[]): string[] {
  const occurrences = new Map<string, number>();
  return findings.map((finding) => {
    const normalised = (finding.snippet ?? "").replace(/\s+/g, "");
    const hash = createHash("sha256").update(`${finding.ruleId}\u0000${normalised}`).digest("hex").slice(0, 16);
    const key = `${finding.path}\u0000${hash}`;
    const count = (occurrences.get(key) ?? 0) + 1;
    occurrences.set(key, count);
    return `${hash}:${count}`;
  });
}
