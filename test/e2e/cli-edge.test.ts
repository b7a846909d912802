import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

let workspace: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "csf-edge-"));
});

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe("edge cases of the create command", () => {
  it("--dry-run rejects a non-empty directory like a real run", async () => {
    await mkdir(path.join(workspace, "demo"));
    await writeFile(path.join(workspace, "demo", "x.txt"), "mine\n");
    const result = await runCli(["demo", "--dry-run"], { cwd: workspace });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("exists and is not empty");
  });

  it("--dry-run --force marks the files it would replace", async () => {
    await mkdir(path.join(workspace, "demo"));
    await writeFile(path.join(workspace, "demo", "README.md"), "mine\n");
    const result = await runCli(["demo", "--dry-run", "--force"], { cwd: workspace });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("README.md  (replaces an existing file)");
    expect(await readFile(path.join(workspace, "demo", "README.md"), "utf8")).toBe("mine\n");
  });

  it("--force lists the files it replaced", async () => {
    await mkdir(path.join(workspace, "demo"));
    await writeFile(path.join(workspace, "demo", "README.md"), "mine\n");
    const result = await runCli(["demo", "--force", "--no-git"], { cwd: workspace });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Replaced the existing README.md.");
  });

  it("rejects a project named like a dependency", async () => {
    const result = await runCli(["fastapi", "--no-git"], { cwd: workspace });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('"fastapi": it is the name of one of the project\'s dependencies');
    expect(await readdir(workspace)).toEqual([]);
  });

  it("explains a parent folder that is a file", async () => {
    await writeFile(path.join(workspace, "parent"), "x");
    const result = await runCli(["parent/demo", "--name", "demo", "--no-git"], { cwd: workspace });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/not a directory.*Nothing was written/);
    expect(result.stderr).not.toContain("This is a bug");
  });

  it("uses the name as the directory when none is given", async () => {
    const result = await runCli(["--yes", "--name", "shop-api", "--no-git"], { cwd: workspace });
    expect(result.exitCode).toBe(0);
    expect(await readdir(workspace)).toEqual(["shop-api"]);
  });

  it("quotes a directory with spaces in the next steps", async () => {
    const result = await runCli(["my api", "--name", "my-api", "--no-git"], { cwd: workspace });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("cd 'my api'");
  });
});
