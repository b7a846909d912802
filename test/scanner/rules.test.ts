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
