import { mkdtemp, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planTarget, resolveInside, writeProject } from "../../src/generator/write.js";

const FILES = [
  { path: "README.md", content: "# demo\n" },
  { path: "app/main.py", content: "app = None\n" },
  { path: ".env", content: "SECRET_KEY='new'\n" },
];

let workspace: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "csf-write-"));
});

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true });
  return entries.map((entry) => entry.split(path.sep).join("/")).sort();
}

describe("writeProject", () => {
  it("creates a missing directory with every file", async () => {
    const target = path.join(workspace, "nested", "demo");
    await writeProject(target, FILES, { force: false });
    expect(await listTree(target)).toEqual([".env", "README.md", "app", "app/main.py"]);
    expect(await readFile(path.join(target, "app/main.py"), "utf8")).toBe("app = None\n");
  });

  it("writes .env readable by its owner only", async () => {
    const target = path.join(workspace, "demo");
    await writeProject(target, FILES, { force: false });
    expect((await stat(path.join(target, ".env"))).mode & 0o777).toBe(0o600);
  });

  it("rejects a non-empty directory without --force and changes nothing", async () => {
    const target = path.join(workspace, "demo");
    await mkdir(target);
    await writeFile(path.join(target, "README.md"), "mine\n");
    await expect(writeProject(target, FILES, { force: false })).rejects.toThrow(/exists and is not empty/);
    expect(await listTree(target)).toEqual(["README.md"]);
    expect(await readFile(path.join(target, "README.md"), "utf8")).toBe("mine\n");
    expect(await readdir(workspace)).toEqual(["demo"]);
  });

  it("with --force replaces generated files, keeps others and the existing .env", async () => {
    const target = path.join(workspace, "demo");
    await mkdir(target);
    await writeFile(path.join(target, "notes.txt"), "keep me\n");
    await writeFile(path.join(target, ".env"), "SECRET_KEY='old'\n");
    await writeFile(path.join(target, "README.md"), "mine\n");
    const plan = await writeProject(target, FILES, { force: true });
    expect(plan.kept).toEqual([".env"]);
    expect(plan.replaced).toEqual(["README.md"]);
    expect(await readFile(path.join(target, "notes.txt"), "utf8")).toBe("keep me\n");
    expect(await readFile(path.join(target, ".env"), "utf8")).toBe("SECRET_KEY='old'\n");
    expect(await readFile(path.join(target, "README.md"), "utf8")).toBe("# demo\n");
  });

  it("leaves nothing behind when verification fails", async () => {
    const target = path.join(workspace, "deep", "demo");
    const verify = async () => {
      throw new Error("scan found something");
    };
    await expect(writeProject(target, FILES, { force: false, verify })).rejects.toThrow("scan found something");
    expect(await readdir(workspace)).toEqual([]);
  });

  it("passes the staged copy to verification", async () => {
    const target = path.join(workspace, "demo");
    let staged: string[] = [];
    await writeProject(target, FILES, {
      force: false,
      verify: async (root) => {
        staged = await listTree(root);
      },
    });
    expect(staged).toEqual([".env", "README.md", "app", "app/main.py"]);
  });

  it("refuses to follow a symbolic link in the target", async () => {
    const target = path.join(workspace, "demo");
    const outside = path.join(workspace, "outside");
    await mkdir(target);
    await mkdir(outside);
    await symlink(outside, path.join(target, "app"));
    await expect(writeProject(target, FILES, { force: true })).rejects.toThrow(/app is in the way \(a symbolic link\)/);
    expect(await readdir(outside)).toEqual([]);
  });

  it("names a file that stands where a folder belongs", async () => {
    const target = path.join(workspace, "demo");
    await mkdir(target);
    await writeFile(path.join(target, "app"), "not a folder");
    await expect(writeProject(target, FILES, { force: true })).rejects.toThrow(
      /app is in the way \(a file where a folder belongs\)/,
    );
  });

  it("names a folder that stands where a file belongs", async () => {
    const target = path.join(workspace, "demo");
    await mkdir(path.join(target, "README.md"), { recursive: true });
    await expect(writeProject(target, FILES, { force: true })).rejects.toThrow(
      /README\.md is in the way \(a folder where a file belongs\)/,
    );
  });

  it("puts replaced files back when a move fails", async () => {
    const target = path.join(workspace, "demo");
    await mkdir(path.join(target, "app"), { recursive: true });
    await writeFile(path.join(target, "README.md"), "mine\n");
    // An immutable folder makes the rename into it fail, even for root.
    const locked = await execa("chattr", ["+i", path.join(target, "app")], { reject: false });
    if (locked.exitCode !== 0) return expect.fail(`chattr is needed for this test: ${locked.stderr}`);
    try {
      await expect(writeProject(target, FILES, { force: true })).rejects.toThrow(/Nothing was written/);
    } finally {
      await execa("chattr", ["-i", path.join(target, "app")]);
    }
    expect(await readFile(path.join(target, "README.md"), "utf8")).toBe("mine\n");
    expect(await listTree(target)).toEqual(["README.md", "app"]);
    expect(await readdir(workspace)).toEqual(["demo"]);
  });

  it("writes into a symbolic link to an empty folder", async () => {
    const real = path.join(workspace, "real");
    await mkdir(real);
    await symlink(real, path.join(workspace, "demo"));
    await writeProject(path.join(workspace, "demo"), FILES, { force: false });
    expect(await listTree(real)).toEqual([".env", "README.md", "app", "app/main.py"]);
  });

  it("rejects a broken symbolic link as the target", async () => {
    await symlink(path.join(workspace, "gone"), path.join(workspace, "demo"));
    await expect(writeProject(path.join(workspace, "demo"), FILES, { force: false })).rejects.toThrow(
      /broken symbolic link/,
    );
  });

  it("explains a parent that is a file", async () => {
    await writeFile(path.join(workspace, "parent"), "x");
    await expect(writeProject(path.join(workspace, "parent", "demo"), FILES, { force: false })).rejects.toThrow(
      /a part of the path is a file, not a directory.*Nothing was written/,
    );
    expect(await readdir(workspace)).toEqual(["parent"]);
  });

  it("rejects a target that is a file", async () => {
    const target = path.join(workspace, "demo");
    await writeFile(target, "x");
    await expect(writeProject(target, FILES, { force: true })).rejects.toThrow(/is not a directory/);
  });
});

describe("planTarget", () => {
  it("lists replaced and kept files without writing", async () => {
    const target = path.join(workspace, "demo");
    await mkdir(target);
    await writeFile(path.join(target, "README.md"), "mine\n");
    await writeFile(path.join(target, ".env"), "x\n");
    const plan = await planTarget(target, FILES, true);
    expect(plan).toEqual({ state: "not-empty", replaced: ["README.md"], kept: [".env"] });
    expect(await readFile(path.join(target, "README.md"), "utf8")).toBe("mine\n");
  });

  it("rejects a non-empty target without force", async () => {
    const target = path.join(workspace, "demo");
    await mkdir(target);
    await writeFile(path.join(target, "x"), "");
    await expect(planTarget(target, FILES, false)).rejects.toThrow(/exists and is not empty/);
  });
});

describe("resolveInside", () => {
  it.each(["../escape.py", "/etc/passwd", "a/../../b", "."])("rejects %j", (relative) => {
    expect(() => resolveInside("/tmp/project", relative)).toThrow(/resolves outside/);
  });

  it("accepts a nested path", () => {
    expect(resolveInside("/tmp/project", "app/core/config.py")).toBe("/tmp/project/app/core/config.py");
  });
});
