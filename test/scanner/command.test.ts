import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CliError, UsageError } from "../../src/errors.js";
import { runScanCommand } from "../../src/scanner/index.js";
import { INSECURE_SQL, MemoryStream, SAFE_CODE, makeProject } from "./helpers.js";

async function run(args: string[], cwd: string, options: { isTTY?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const code = await runScanCommand(args, {
    stdout,
    stderr,
    cwd,
    env: options.env ?? {},
    isTTY: options.isTTY ?? false,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe("scan command exit codes", () => {
  it("returns 0 for clean code", async () => {
    const root = makeProject({ "app/main.py": SAFE_CODE });
    const result = await run(["."], root);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("No findings in 1 file.");
  });

  it("returns 1 for findings", async () => {
    const root = makeProject({ "app/db.py": INSECURE_SQL });
    const result = await run([], root);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^app\/db\.py:2:12: SFA006 high /m);
  });

  it("returns 0 when findings are below --min-severity", async () => {
    const root = makeProject({
      "main.py": 'from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\napp = FastAPI()\napp.add_middleware(CORSMiddleware, allow_origins=["*"])\n',
    });
    expect((await run(["."], root)).code).toBe(1);
    const high = await run([".", "--min-severity", "high"], root);
    expect(high.code).toBe(0);
    expect(high.stdout).not.toContain("SFA009");
  });

  it("returns 2 for a missing path named on the command line", async () => {
    const root = makeProject({ "main.py": SAFE_CODE });
    const result = await run(["missing.py", "main.py"], root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: missing.py: no such file or folder");
  });

  it("returns 2 for a binary file named on the command line", async () => {
    const root = makeProject({ "blob.py": Buffer.from([0x89, 0x50, 0x00, 0x01]) });
    const result = await run(["blob.py"], root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("blob.py: skipped: binary file");
  });

  it("keeps 0 for a binary file found while walking", async () => {
    const root = makeProject({ "blob.py": Buffer.from([0x00, 0x01]), "ok.py": SAFE_CODE });
    const result = await run(["."], root);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("warning: blob.py: skipped: binary file");
  });

  it("throws UsageError for an unknown option", async () => {
    const root = makeProject({ "main.py": SAFE_CODE });
    await expect(run(["--bogus"], root)).rejects.toBeInstanceOf(UsageError);
  });

  it("throws UsageError for a bad format", async () => {
    const root = makeProject({ "main.py": SAFE_CODE });
    await expect(run(["--format", "xml"], root)).rejects.toThrow(/Invalid value "xml" for --format/);
  });

  it("throws UsageError for an unknown rule id", async () => {
    const root = makeProject({ "main.py": SAFE_CODE });
    const error = await run(["--rule", "SFA999"], root).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).message).toContain("SFA999");
  });

  it.each([
    [["--format"], "Missing value for --format."],
    [["--colour"], 'Unknown option "--colour".'],
  ])("names the flag of a bad argument %j", async (args, message) => {
    const root = makeProject({ "main.py": SAFE_CODE });
    const error = await run(args, root).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(message);
  });
});

describe("scan command options", () => {
  it("runs only the rules named by --rule", async () => {
    const root = makeProject({ "main.py": `${INSECURE_SQL}SECRET_KEY = "abc123"\n` });
    const both = await run(["--format", "json"], root);
    expect(JSON.parse(both.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(["SFA006", "SFA015"]);
    const one = await run(["--format", "json", "--rule", "sfa015"], root);
    expect(JSON.parse(one.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(["SFA015"]);
    const list = await run(["--format", "json", "--rule", "SFA006,SFA015"], root);
    expect(JSON.parse(list.stdout).findings).toHaveLength(2);
  });

  it("skips files matched by --exclude", async () => {
    const root = makeProject({ "app/db.py": INSECURE_SQL, "scripts/old.py": INSECURE_SQL });
    const result = await run(["--exclude", "scripts", "--format", "json"], root);
    const paths = JSON.parse(result.stdout).findings.map((f: { path: string }) => f.path);
    expect(paths).toEqual(["app/db.py"]);
  });

  it("skips a folder given as an absolute --exclude", async () => {
    const root = makeProject({ "app/db.py": INSECURE_SQL, "scripts/old.py": INSECURE_SQL });
    const elsewhere = makeProject({});
    const absolute = path.join(root, "scripts");
    const result = await run([root, "--exclude", absolute, "--format", "json"], elsewhere);
    const paths = JSON.parse(result.stdout).findings.map((f: { path: string }) => f.path);
    expect(paths).toEqual([path.join(root, "app", "db.py")]);
    const inside = await run(["--exclude", `${absolute}/`, "--format", "json"], root);
    expect(JSON.parse(inside.stdout).findings.map((f: { path: string }) => f.path)).toEqual(["app/db.py"]);
  });

  it("rejects an --output that is a folder", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL, "reports/keep.txt": "" });
    const error = await run(["--output", "reports"], root).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CliError);
    const folder = path.join(root, "reports");
    expect((error as CliError).message).toBe(`Cannot write the report to ${folder}: it is a folder`);
    expect((error as CliError).hint).toBe(`Give --output a file path, such as ${path.join(folder, "report.txt")}.`);
    expect((error as CliError).exitCode).toBe(2);
  });

  it("names a missing --output folder", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL });
    const error = await run(["--output", "missing/report.json"], root).catch((caught: unknown) => caught);
    expect((error as CliError).message).toContain("(ENOENT)");
    expect((error as CliError).hint).toBe("Check that the folder exists.");
  });

  it("writes the report to --output", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL });
    const result = await run(["--format", "sarif", "--output", "report.sarif"], root);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const sarif = JSON.parse(readFileSync(path.join(root, "report.sarif"), "utf8"));
    expect(sarif.version).toBe("2.1.0");
  });

  it("prints help", async () => {
    const result = await run(["--help"], makeProject({}));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: secure-fastapi scan");
  });

  it("lists rules", async () => {
    const result = await run(["--list-rules"], makeProject({}));
    expect(result.stdout).toMatch(/^SFA006\s+high\s+CWE-89\s+SQL built from strings$/m);
  });
});

describe("text output colour", () => {
  it("colours findings on a terminal", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL });
    const result = await run([], root, { isTTY: true });
    expect(result.stdout).toContain("\u001b[31mhigh\u001b[0m");
  });

  it("never colours with NO_COLOR set", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL });
    const result = await run([], root, { isTTY: true, env: { NO_COLOR: "1" } });
    expect(result.stdout).not.toContain("\u001b[");
  });

  it("never colours when not a terminal", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL });
    const result = await run([], root, { isTTY: false });
    expect(result.stdout).not.toContain("\u001b[");
  });

  it("prints a fix hint under each finding", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL });
    const lines = (await run([], root)).stdout.split("\n");
    expect(lines[0]).toMatch(/^db\.py:2:12: SFA006 high `db\.execute` runs SQL built with an f-string/);
    expect(lines[1]).toMatch(/^ {4}fix: Use the ORM/);
    expect(lines[2]).toBe("1 finding (1 high) in 1 file.");
  });

  it("counts the files that have findings", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL, "a.py": SAFE_CODE, "b.py": SAFE_CODE });
    const lines = (await run([], root)).stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("1 finding (1 high) in 1 of 3 files.");
  });
});
