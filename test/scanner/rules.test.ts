import path from "node:path";
import { describe, expect, it } from "vitest";
import { RULES, scanPaths } from "../../src/scanner/index.js";
import { FIXTURES, expectedFindings, fixtureFiles } from "./helpers.js";

const fixtures = fixtureFiles();

describe("rule fixtures", () => {
  it.each(fixtures)("$file", async ({ rule, kind, file }) => {
    const absolute = path.join(FIXTURES, file);
    const report = await scanPaths([absolute], { cwd: FIXTURES, useConfig: false });
    const found = report.findings.map((finding) => `${finding.line}:${finding.ruleId}`).sort();
    const expected = expectedFindings(absolute);
    expect(report.errors).toEqual([]);
    expect(found).toEqual(expected);
    if (kind === "bad") {
      expect(expected.some((entry) => entry.endsWith(`:${rule}`))).toBe(true);
    } else {
      expect(expected).toEqual([]);
    }
  });
});

describe("rule registry", () => {
  it("has fixtures for every rule", () => {
    for (const rule of RULES) {
      const own = fixtures.filter((fixture) => fixture.rule === rule.id);
      expect(own.some((fixture) => fixture.kind === "bad"), `${rule.id} bad fixture`).toBe(true);
      expect(own.some((fixture) => fixture.kind === "good"), `${rule.id} good fixture`).toBe(true);
    }
  });

  it("uses unique ids with CWE and hint", () => {
    const ids = RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^SFA\d{3}$/);
      expect(rule.cwe).toMatch(/^CWE-\d+$/);
      expect(rule.hint.length).toBeGreaterThan(20);
      expect(rule.description.length).toBeGreaterThan(40);
    }
  });
});

/** Scan one fixture and return its findings of `rule` as `line:severity` strings. */
async function severities(file: string, rule: string): Promise<string[]> {
  const report = await scanPaths([path.join(FIXTURES, file)], { cwd: FIXTURES, useConfig: false, rules: [rule] });
  return report.findings.map((finding) => `${finding.line}:${finding.severity}`);
}

describe("rule severities and messages", () => {
  it("rates CORS environment defaults like literals", async () => {
    expect(await severities("SFA009/bad/environment_default.py", "SFA009")).toEqual([
      "10:high",
      "16:low",
      "20:high",
      "23:low",
      "26:low",
      "29:high",
    ]);
    const report = await scanPaths([path.join(FIXTURES, "SFA009/bad/environment_default.py")], {
      cwd: FIXTURES,
      useConfig: false,
      rules: ["SFA009"],
    });
    expect(report.findings[0]?.message).toBe(
      'CORS `allow_origins` defaults to `"*"` when `CORS_ORIGINS` is unset, which allows any origin, and `allow_credentials=True` is set',
    );
  });

  it("reads CORS options from dict literals", async () => {
    expect(await severities("SFA009/bad/options_dict.py", "SFA009")).toEqual(["11:high", "16:high", "22:high"]);
  });

  it("raises client-chosen model loads to high", async () => {
    expect(await severities("SFA019/bad/client_chosen.py", "SFA019")).toEqual([
      "20:high",
      "25:high",
      "30:high",
      "37:high",
      "43:high",
    ]);
    const report = await scanPaths([path.join(FIXTURES, "SFA019/bad/client_chosen.py")], {
      cwd: FIXTURES,
      useConfig: false,
      rules: ["SFA019"],
    });
    const messages = report.findings.map((finding) => finding.message);
    expect(messages[0]).toContain(
      "from a file that the client chooses (`path`), which can be any file the server can read",
    );
    expect(messages[2]).toContain("from a folder or Hub repository that the client chooses (`body.model_name`)");
  });

  it("keeps server-chosen model loads at medium", async () => {
    const found = await severities("SFA019/bad/server_chosen.py", "SFA019");
    expect(found).toHaveLength(8);
    expect(found.filter((entry) => !entry.endsWith(":medium"))).toEqual([]);
  });
});
