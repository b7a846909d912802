import { describe, expect, it } from "vitest";
import { RULES, scanPaths } from "../../src/scanner/index.js";
import { formatJson } from "../../src/scanner/report/json.js";
import { formatSarif } from "../../src/scanner/report/sarif.js";
import { formatScanErrors, formatText } from "../../src/scanner/report/text.js";
import type { Finding, ScanReport } from "../../src/scanner/types.js";
import { INSECURE_SQL, makeProject } from "./helpers.js";

async function sampleReport() {
  const root = makeProject({
    "app/db.py": INSECURE_SQL,
    "app/broken.py": "def broken(:\n",
  });
  return { root, report: await scanPaths(["."], { cwd: root, useConfig: false }) };
}

describe("JSON report", () => {
  it("has the documented top-level shape", async () => {
    const { report } = await sampleReport();
    const document = JSON.parse(formatJson(report));
    expect(Object.keys(document)).toEqual(["version", "tool", "summary", "findings", "errors"]);
    expect(document.version).toBe(1);
    expect(document.tool.name).toBe("secure-fastapi");
    expect(document.tool.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(document.summary).toEqual({
      filesScanned: 1,
      linesScanned: 3,
      findings: 1,
      bySeverity: { low: 0, medium: 0, high: 1 },
      errors: 1,
    });
  });

  it("lists findings with every documented field", async () => {
    const { report } = await sampleReport();
    const [finding] = JSON.parse(formatJson(report)).findings;
    expect(finding).toEqual({
      ruleId: "SFA006",
      severity: "high",
      message: expect.stringContaining("db.execute"),
      hint: expect.stringContaining("bound parameters"),
      path: "app/db.py",
      line: 2,
      column: 12,
      endLine: 2,
      endColumn: 70,
      cwe: "CWE-89",
      snippet: `return db.execute(f"SELECT * FROM users WHERE email = '{email}'")`,
    });
  });

  it("lists parse errors", async () => {
    const { report } = await sampleReport();
    const [error] = JSON.parse(formatJson(report)).errors;
    expect(error).toEqual({
      path: "app/broken.py",
      kind: "parse",
      message: expect.stringMatching(/^parse error: .* at line 1$/),
      explicit: false,
      line: 1,
    });
  });
});

describe("SARIF report", () => {
  it("is SARIF 2.1.0 with one run", async () => {
    const { root, report } = await sampleReport();
    const sarif = JSON.parse(formatSarif(report, { cwd: root }));
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
    expect(sarif.runs).toHaveLength(1);
    expect(sarif.runs[0].tool.driver.name).toBe("secure-fastapi");
    expect(sarif.runs[0].columnKind).toBe("utf16CodeUnits");
    expect(sarif.runs[0].originalUriBaseIds["%SRCROOT%"].uri).toMatch(/^file:\/\/.*\/$/);
  });

  it("describes every rule for code scanning", async () => {
    const { root, report } = await sampleReport();
    const rules = JSON.parse(formatSarif(report, { cwd: root })).runs[0].tool.driver.rules;
    expect(rules.map((rule: { id: string }) => rule.id)).toEqual(["SFA000", ...RULES.slice(1).map((rule) => rule.id)]);
    for (const rule of rules) {
      expect(rule.id).toMatch(/^SFA\d{3}$/);
      expect(rule.name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(rule.shortDescription.text.length).toBeGreaterThan(5);
      expect(rule.fullDescription.text.length).toBeGreaterThan(20);
      expect(rule.help.text).toContain("Fix:");
      expect(rule.help.markdown).toContain("**Fix:**");
      expect(rule.properties.tags[0]).toBe("security");
      expect(rule.properties.tags).toContainEqual(expect.stringMatching(/^external\/cwe\/cwe-\d+$/));
      expect(rule.properties["security-severity"]).toMatch(/^\d+\.\d$/);
      expect(["error", "warning", "note"]).toContain(rule.defaultConfiguration.level);
    }
    const sql = rules.find((rule: { id: string }) => rule.id === "SFA006");
    expect(sql.properties.tags).toEqual(["security", "external/cwe/cwe-89"]);
    expect(sql.properties["security-severity"]).toBe("8.0");
  });

  it("gives each result a rule, a 1-based region and a fingerprint", async () => {
    const { root, report } = await sampleReport();
    const run = JSON.parse(formatSarif(report, { cwd: root })).runs[0];
    expect(run.results).toHaveLength(1);
    const [result] = run.results;
    expect(result.ruleId).toBe("SFA006");
    expect(run.tool.driver.rules[result.ruleIndex].id).toBe("SFA006");
    expect(result.level).toBe("error");
    expect(result.message.text).toContain("db.execute");
    const location = result.locations[0].physicalLocation;
    expect(location.artifactLocation).toEqual({ uri: "app/db.py", uriBaseId: "%SRCROOT%" });
    expect(location.region).toMatchObject({ startLine: 2, startColumn: 12, endLine: 2, endColumn: 70 });
    expect(result.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{16}:1$/);
  });

  it("reports unscannable files as notifications", async () => {
    const { root, report } = await sampleReport();
    const invocation = JSON.parse(formatSarif(report, { cwd: root })).runs[0].invocations[0];
    expect(invocation.executionSuccessful).toBe(true);
    expect(invocation.toolExecutionNotifications[0].message.text).toContain("app/broken.py: parse error");
  });

  it("numbers identical lines in one file", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL + INSECURE_SQL.replace("def find", "def find_again") });
    const report = await scanPaths(["."], { cwd: root, useConfig: false });
    const results = JSON.parse(formatSarif(report, { cwd: root })).runs[0].results;
    const hashes = results.map((result: { partialFingerprints: { primaryLocationLineHash: string } }) => result.partialFingerprints.primaryLocationLineHash);
    expect(hashes[0].split(":")[0]).toBe(hashes[1].split(":")[0]);
    expect(hashes.map((hash: string) => hash.split(":")[1])).toEqual(["1", "2"]);
  });
});

function textReport(overrides: Partial<ScanReport>): ScanReport {
  return { findings: [], errors: [], filesScanned: 0, linesScanned: 0, rules: [], ...overrides };
}

/** Return the summary, which is the last line of the text report. */
function summaryOf(report: ScanReport): string {
  return formatText(report, { color: false }).trimEnd().split("\n").pop() ?? "";
}

function sqlFinding(path: string): Finding {
  return {
    ruleId: "SFA006",
    severity: "high",
    message: "SQL built with an f-string",
    hint: "Use bound parameters.",
    path,
    line: 1,
    column: 1,
    endLine: 1,
    endColumn: 2,
    cwe: "CWE-89",
  };
}

describe("text report", () => {
  it("escapes control characters in paths and messages", () => {
    const report = textReport({
      filesScanned: 1,
      findings: [
        {
          ruleId: "SFA006",
          severity: "high",
          message: "SQL built from `q\u001b]0;pwned\u0007` with\ttab",
          hint: "fix\u009b2J",
          path: "app/\u001b[2Jevil\u007f.py",
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 2,
          cwe: "CWE-89",
        },
      ],
    });
    const text = formatText(report, { color: false });
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain("app/\\x1b[2Jevil\\x7f.py:1:1:");
    expect(text).toContain("`q\\x1b]0;pwned\\x07` with\ttab");
    expect(text).toContain("fix: fix\\x9b2J");
  });

  it("escapes control characters in error lines", () => {
    const errors = [{ path: "a\u001b[31m.py\nfake", kind: "parse" as const, message: "parse error", explicit: false }];
    expect(formatScanErrors(errors)).toBe("warning: a\\x1b[31m.py\\x0afake: parse error\n");
  });

  it("summary counts files with findings", () => {
    const oneFile = textReport({ filesScanned: 3, findings: [sqlFinding("a.py"), sqlFinding("a.py"), sqlFinding("a.py")] });
    expect(summaryOf(oneFile)).toBe("3 findings (3 high) in 1 of 3 files.");
  });

  it("summary names one number when every file has findings", () => {
    const everyFile = textReport({ filesScanned: 2, findings: [sqlFinding("a.py"), sqlFinding("b.py")] });
    expect(summaryOf(everyFile)).toBe("2 findings (2 high) in 2 files.");
  });

  it("summary counts files with findings when some were skipped", () => {
    const report = textReport({
      filesScanned: 2,
      findings: [sqlFinding("a.py")],
      errors: [{ path: "bad.py", kind: "parse", message: "parse error", explicit: false }],
    });
    expect(summaryOf(report)).toBe("1 finding (1 high) in 1 of 2 files; 1 file could not be scanned.");
  });

  it("summary says the scan failed for a missing path", () => {
    const report = textReport({
      errors: [{ path: "missing", kind: "not-found", message: "no such file or folder", explicit: true }],
    });
    expect(formatText(report, { color: false })).toBe(
      "Scan failed: 1 path named on the command line could not be scanned. No findings in 0 files scanned.\n",
    );
  });

  it("summary counts skipped files", () => {
    const report = textReport({
      filesScanned: 2,
      errors: [{ path: "bad.py", kind: "parse", message: "parse error", explicit: false }],
    });
    expect(formatText(report, { color: false })).toBe("No findings in 2 files; 1 file could not be scanned.\n");
  });

  it("summary lists both failed and skipped paths", () => {
    const report = textReport({
      filesScanned: 1,
      errors: [
        { path: "missing", kind: "not-found", message: "no such file or folder", explicit: true },
        { path: "a.py", kind: "binary", message: "skipped: binary file", explicit: false },
        { path: "b.py", kind: "binary", message: "skipped: binary file", explicit: false },
      ],
    });
    expect(formatText(report, { color: false })).toBe(
      "Scan failed: 1 path named on the command line could not be scanned, and 2 other files could not be scanned. No findings in 1 file scanned.\n",
    );
  });
});
