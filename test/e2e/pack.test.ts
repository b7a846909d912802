import { execa } from "execa";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Install the packed tarball the way npm users get it, so a file missing from
 * package.json "files" fails here rather than for them.
 */
describe("npm pack", () => {
  let workspace: string;
  let prefix: string;

  beforeAll(async () => {
    workspace = await mkdtemp(path.join(tmpdir(), "csf-pack-"));
    prefix = path.join(workspace, "prefix");
    const packed = await execa("npm", ["pack", "--silent", "--pack-destination", workspace]);
    const tarball = path.join(workspace, packed.stdout.trim().split("\n").pop() ?? "");
    await execa("npm", ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", tarball]);
  }, 300_000);

  afterAll(async () => {
    await rm(workspace, { recursive: true, force: true });
  });

  it.each(["create-secure-fastapi", "secure-fastapi"])("installs the %s bin", async (name) => {
    const result = await execa(path.join(prefix, "bin", name), ["--version"]);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("generates a project from the installed package", async () => {
    const cwd = path.join(workspace, "out");
    await execa("mkdir", ["-p", cwd]);
    const result = await execa(path.join(prefix, "bin", "create-secure-fastapi"), ["demo", "--yes", "--no-git"], {
      cwd,
      env: { CI: "true" },
    });
    expect(result.stdout).toContain("security scan: no findings");
    const files = await readdir(path.join(cwd, "demo"));
    expect(files).toEqual(expect.arrayContaining([".env", ".env.example", ".gitignore", "pyproject.toml", "app"]));
  }, 120_000);
});
