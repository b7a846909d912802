import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { scanPaths } from "../../src/scanner/index.js";
import { INSECURE_SQL, SAFE_CODE, makeProject } from "./helpers.js";

async function scan(root: string, paths = ["."], options = {}) {
  return scanPaths(paths, { cwd: root, useConfig: false, ...options });
}

describe("scan robustness", () => {
  it("reports a syntax error and scans the other files", async () => {
    const root = makeProject({ "bad.py": "def broken(:\n    pass\n", "db.py": INSECURE_SQL });
    const report = await scan(root);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ path: "bad.py", kind: "parse", explicit: false, line: 1 });
    expect(report.findings.map((finding) => finding.path)).toEqual(["db.py"]);
  });

  it("skips binary files", async () => {
    const root = makeProject({ "data.py": Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01]), "db.py": INSECURE_SQL });
    const report = await scan(root);
    expect(report.errors).toEqual([expect.objectContaining({ path: "data.py", kind: "binary" })]);
    expect(report.findings).toHaveLength(1);
  });

  it("skips files that are not UTF-8", async () => {
    const root = makeProject({ "latin.py": Buffer.from('name = "caf\xe9"\n', "latin1") });
    const report = await scan(root);
    expect(report.errors).toEqual([expect.objectContaining({ path: "latin.py", kind: "encoding" })]);
  });

  it("decodes files with a coding declaration", async () => {
    const source = `# -*- coding: latin-1 -*-\n# caf\xe9\n${INSECURE_SQL}`;
    const root = makeProject({ "latin.py": Buffer.from(source, "latin1") });
    const report = await scan(root);
    expect(report.errors).toEqual([]);
    expect(report.findings.map((finding) => `${finding.line}:${finding.ruleId}`)).toEqual(["4:SFA006"]);
  });

  it("counts columns in UTF-16 units after non-ASCII text", async () => {
    const root = makeProject({ "db.py": `def find(db, email):\n    é = 1; return db.execute(f"SELECT * FROM users WHERE email = '{email}'")\n` });
    const report = await scan(root);
    expect(report.findings[0]).toMatchObject({ line: 2, column: 19 });
  });

  it("skips files over the size limit", async () => {
    const root = makeProject({ "big.py": `x = 1\n`.repeat(2000), "db.py": INSECURE_SQL });
    const report = await scan(root, ["."], { maxFileBytes: 4096 });
    expect(report.errors).toEqual([expect.objectContaining({ path: "big.py", kind: "too-large", explicit: false })]);
    expect(report.findings).toHaveLength(1);
  });

  it("marks an oversized file named explicitly", async () => {
    const root = makeProject({ "big.py": `x = 1\n`.repeat(2000) });
    const report = await scan(root, ["big.py"], { maxFileBytes: 4096 });
    expect(report.errors[0]).toMatchObject({ kind: "too-large", explicit: true });
  });

  it("rejects a FIFO named explicitly", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL });
    execFileSync("mkfifo", [path.join(root, "pipe.py")]);
    const report = await scan(root, ["pipe.py", "db.py"]);
    expect(report.errors).toEqual([
      { path: "pipe.py", kind: "not-regular", message: "skipped: a named pipe (FIFO), not a regular file", explicit: true },
    ]);
    expect(report.findings).toHaveLength(1);
  });

  it("warns about a FIFO found while walking", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL });
    execFileSync("mkfifo", [path.join(root, "pipe.py")]);
    const report = await scan(root);
    expect(report.errors).toEqual([expect.objectContaining({ path: "pipe.py", kind: "not-regular", explicit: false })]);
    expect(report.findings).toHaveLength(1);
  });

  it.skipIf(!existsSync("/dev/zero"))("rejects a character device named explicitly", async () => {
    const root = makeProject({});
    const report = await scan(root, ["/dev/zero"]);
    expect(report.errors).toEqual([
      {
        path: "/dev/zero",
        kind: "not-regular",
        message: "skipped: a character device, not a regular file",
        explicit: true,
      },
    ]);
  });

  it.skipIf(!existsSync("/proc/self/status"))("caps reads by bytes read, not st_size", async () => {
    // Files in /proc report a size of 0 but hold more.
    const root = makeProject({});
    const report = await scan(root, ["/proc/self/status"], { maxFileBytes: 16 });
    expect(report.errors).toEqual([expect.objectContaining({ kind: "too-large", explicit: true })]);
  });

  it("survives a symbolic link loop", async () => {
    const root = makeProject({ "pkg/db.py": INSECURE_SQL });
    symlinkSync(root, path.join(root, "pkg", "loop"));
    symlinkSync(path.join(root, "self.py"), path.join(root, "self.py"));
    const report = await scan(root);
    expect(report.findings.map((finding) => finding.path)).toEqual(["pkg/db.py"]);
    expect(report.errors).toEqual([expect.objectContaining({ path: "self.py", kind: "unreadable" })]);
  });

  it("reports a broken symbolic link as unreadable", async () => {
    const root = makeProject({ "db.py": INSECURE_SQL });
    symlinkSync(path.join(root, "gone.py"), path.join(root, "link.py"));
    const walked = await scan(root);
    expect(walked.findings.map((finding) => finding.path)).toEqual(["db.py"]);
    expect(walked.errors).toEqual([
      { path: "link.py", kind: "unreadable", message: "cannot be read (broken symbolic link)", explicit: false },
    ]);
    const named = await scan(root, ["link.py", "absent.py"]);
    expect(named.errors).toEqual([
      { path: "absent.py", kind: "not-found", message: "no such file or folder", explicit: true },
      { path: "link.py", kind: "unreadable", message: "cannot be read (broken symbolic link)", explicit: true },
    ]);
  });

  it("reports an unreadable folder and goes on", async () => {
    const root = makeProject({ "open/db.py": INSECURE_SQL, "locked/x.py": SAFE_CODE });
    chmodSync(path.join(root, "locked"), 0o000);
    try {
      const report = await scan(root);
      expect(report.findings.map((finding) => finding.path)).toEqual(["open/db.py"]);
      // Root can read any folder, so the error only appears for other users.
      if (process.getuid?.() !== 0) {
        expect(report.errors).toEqual([expect.objectContaining({ path: "locked", kind: "unreadable" })]);
      }
    } finally {
      chmodSync(path.join(root, "locked"), 0o755);
    }
  });

  it("skips default excluded folders", async () => {
    const root = makeProject({
      ".venv/lib/site.py": INSECURE_SQL,
      "node_modules/x/y.py": INSECURE_SQL,
      "app/__pycache__/z.py": INSECURE_SQL,
      "app/main.py": SAFE_CODE,
    });
    const report = await scan(root);
    expect(report.findings).toEqual([]);
    expect(report.filesScanned).toBe(1);
  });

  it("scans an excluded file when named explicitly", async () => {
    const root = makeProject({ "build/db.py": INSECURE_SQL });
    expect((await scan(root)).findings).toHaveLength(0);
    expect((await scan(root, ["build/db.py"])).findings).toHaveLength(1);
  });

  it("handles deeply nested expressions without a stack overflow", async () => {
    const chain = Array.from({ length: 3000 }, (_, index) => `v${index}`).join(" + ");
    const root = makeProject({ "deep.py": `def f(db, v0):\n    db.execute("SELECT " + ${chain})\n` });
    const report = await scan(root);
    expect(report.errors).toEqual([]);
    expect(report.findings.map((finding) => finding.ruleId)).toEqual(["SFA006"]);
  });

  it("scans a file without a .py name when named explicitly", async () => {
    const root = makeProject({ "manage": INSECURE_SQL });
    expect((await scan(root, ["manage"])).findings).toHaveLength(1);
    expect((await scan(root)).findings).toHaveLength(0);
  });

  it("reports the same file once when reached twice", async () => {
    const root = makeProject({ "app/db.py": INSECURE_SQL });
    mkdirSync(path.join(root, "other"));
    symlinkSync(path.join(root, "app"), path.join(root, "other", "app"));
    writeFileSync(path.join(root, "other", "ok.py"), SAFE_CODE);
    const report = await scan(root, [".", "app/db.py"]);
    expect(report.findings).toHaveLength(1);
  });
});
