import { describe, expect, it } from "vitest";
import { scanPaths } from "../../src/scanner/index.js";
import { makeProject } from "./helpers.js";

const QUERY = `db.execute(f"SELECT * FROM {table}")`;

async function findings(source: string) {
  const root = makeProject({ "a.py": `def f(db, table):\n${source}` });
  const report = await scanPaths(["."], { cwd: root, useConfig: false });
  return report.findings.map((finding) => `${finding.line}:${finding.ruleId}:${finding.message}`);
}

describe("suppression comments", () => {
  it("suppress a finding on the same line with a reason", async () => {
    expect(await findings(`    ${QUERY}  # secure-fastapi: ignore[SFA006] table from an allowlist\n`)).toEqual([]);
  });

  it("suppress the next line when alone on a line", async () => {
    expect(await findings(`    # secure-fastapi: ignore[SFA006] table from an allowlist\n    ${QUERY}\n`)).toEqual([]);
  });

  it("do not suppress two lines below", async () => {
    const result = await findings(`    # secure-fastapi: ignore[SFA006] table from an allowlist\n\n    ${QUERY}\n`);
    expect(result).toEqual([expect.stringMatching(/^4:SFA006:/)]);
  });

  it("do not suppress other rules", async () => {
    const result = await findings(`    ${QUERY}  # secure-fastapi: ignore[SFA011] wrong rule\n`);
    expect(result).toEqual([expect.stringMatching(/^2:SFA006:/)]);
  });

  it("are reported without a reason and suppress nothing", async () => {
    const result = await findings(`    ${QUERY}  # secure-fastapi: ignore[SFA006]\n`);
    expect(result).toEqual([
      expect.stringMatching(/^2:SFA006:/),
      expect.stringMatching(/^2:SFA000:Suppression of SFA006 has no reason/),
    ]);
  });

  it("are reported when another comment follows instead of a reason", async () => {
    const result = await findings(`    ${QUERY}  # secure-fastapi: ignore[SFA006] # noqa: S608\n`);
    expect(result[1]).toMatch(/^2:SFA000:Suppression of SFA006 has no reason/);
  });

  it("are reported for unknown rule ids", async () => {
    const result = await findings(`    ${QUERY}  # secure-fastapi: ignore[SFA06] typo\n`);
    expect(result[1]).toMatch(/^2:SFA000:Suppression comment names unknown rule SFA06/);
  });

  it("accept several rule ids", async () => {
    expect(await findings(`    ${QUERY}  # secure-fastapi: ignore[SFA005, SFA006] reviewed, constant table\n`)).toEqual([]);
  });

  it("are not read from strings", async () => {
    const result = await findings(`    ${QUERY}; note = "# secure-fastapi: ignore[SFA006] not a comment"\n`);
    expect(result).toEqual([expect.stringMatching(/^2:SFA006:/)]);
  });
});
