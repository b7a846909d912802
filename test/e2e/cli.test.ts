import { cp, mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OPTION_SPECS } from "../../src/generator/options.js";
import { runCli } from "../helpers/cli.js";

let workspace: string;

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), "csf-cli-"));
});

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

function readEnv(text: string): Record<string, string> {
  const entries = text
    .split("\n")
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => {
      const index = line.indexOf("=");
      return [line.slice(0, index), line.slice(index + 1).replace(/^'(.*)'$/, "$1")];
    });
  return Object.fromEntries(entries) as Record<string, string>;
}

describe("create-secure-fastapi", () => {
  it("prints help that lists every option flag", async () => {
    const result = await runCli(["--help"]);
    expect(result.exitCode).toBe(0);
    for (const spec of OPTION_SPECS) {
      const usage = spec.kind === "switch" ? `--${spec.flag}, --no-${spec.flag}` : `--${spec.flag} ${spec.valueName}`;
      expect(result.stdout).toContain(usage);
    }
    for (const flag of ["--yes", "--force", "--dry-run", "--no-git", "--install", "--no-install", "--name"]) {
      expect(result.stdout).toContain(flag);
    }
  });

  it("prints the package version", async () => {
    const manifest = JSON.parse(await readFile("package.json", "utf8")) as { version: string };
    const result = await runCli(["--version"]);
    expect(result.stdout.trim()).toBe(manifest.version);
  });

  it("generates a project with defaults and a fresh secret", async () => {
    const result = await runCli(["demo", "--yes", "--no-git"], { cwd: workspace });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("security scan: no findings");
    const root = path.join(workspace, "demo");
    const env = readEnv(await readFile(path.join(root, ".env"), "utf8"));
    expect(Buffer.from(env.SECRET_KEY ?? "", "base64url").length).toBeGreaterThanOrEqual(32);
    expect(env.ENVIRONMENT).toBe("development");
    expect((await stat(path.join(root, ".env"))).mode & 0o777).toBe(0o600);
    const gitignore = await readFile(path.join(root, ".gitignore"), "utf8");
    expect(gitignore.split("\n")).toContain(".env");
    const example = await readFile(path.join(root, ".env.example"), "utf8");
    expect(example).not.toContain(env.SECRET_KEY);
    const pyproject = await readFile(path.join(root, "pyproject.toml"), "utf8");
    expect(pyproject).toContain('name = "demo"');
  });

  it("writes a different secret for every project", async () => {
    await runCli(["one", "--yes", "--no-git"], { cwd: workspace });
    await runCli(["two", "--yes", "--no-git"], { cwd: workspace });
    const first = readEnv(await readFile(path.join(workspace, "one/.env"), "utf8"));
    const second = readEnv(await readFile(path.join(workspace, "two/.env"), "utf8"));
    expect(first.SECRET_KEY).not.toBe(second.SECRET_KEY);
  });

  it("applies defaults without asking when CI is set", async () => {
    const result = await runCli(["demo", "--no-git"], { cwd: workspace });
    expect(result.exitCode).toBe(0);
    const env = readEnv(await readFile(path.join(workspace, "demo/.env"), "utf8"));
    expect(env.DATABASE_URL).toBe("sqlite:///./demo.db");
    expect(env.RATE_LIMIT_STORAGE_URI).toBe("memory://");
    expect(env.CORS_ORIGINS).toBe("[]");
  });

  it("writes the chosen options into the settings", async () => {
    const result = await runCli(
      ["svc", "--db", "postgres", "--rate-limit-storage", "redis", "--cors-origins", "https://app.example.com", "--no-git"],
      { cwd: workspace },
    );
    expect(result.exitCode).toBe(0);
    const env = readEnv(await readFile(path.join(workspace, "svc/.env"), "utf8"));
    expect(env.DATABASE_URL).toBe("postgresql+psycopg://postgres@127.0.0.1:5432/svc");
    expect(env.RATE_LIMIT_STORAGE_URI).toBe("redis://127.0.0.1:6379/0");
    expect(JSON.parse(env.CORS_ORIGINS ?? "")).toEqual(["https://app.example.com"]);
  });

  it("lists files on --dry-run and writes nothing", async () => {
    const result = await runCli(["demo", "--dry-run"], { cwd: workspace });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("app/main.py");
    expect(result.stdout).toContain(".env");
    expect(await readdir(workspace)).toEqual([]);
  });

  it("leaves out accounts and owned resources with --auth none", async () => {
    const result = await runCli(["demo", "--auth", "none", "--no-git"], { cwd: workspace });
    expect(result.exitCode).toBe(0);
    const pyproject = await readFile(path.join(workspace, "demo/pyproject.toml"), "utf8");
    expect(pyproject).not.toContain("pyjwt");
    await expect(stat(path.join(workspace, "demo/app/api/routes/auth.py"))).rejects.toThrow(/ENOENT/);
  });
});

describe("bad input", () => {
  const cases: [string, string[], RegExp][] = [
    ["an invalid project name", ["demo", "--name", "9lives"], /"9lives".*not a valid Python package name/],
    ["a name with a separator", ["demo", "--name", "a/b"], /"a\/b".*path separator/],
    ["a name with a line break", ["demo", "--name", "a\nb"], /line break/],
    ["a wildcard origin", ["demo", "--cors-origins", "*"], /"\*".*wildcards/],
    ["an origin with a path", ["demo", "--cors-origins", "https://a.example.com/"], /no path/],
    ["an http origin", ["demo", "--cors-origins", "http://a.example.com"], /plain http/],
    ["an unknown database", ["demo", "--db", "mysql"], /"mysql" for --db/],
    ["an unknown flag", ["demo", "--colour"], /Unknown option "--colour"\./],
    ["a flag without its value", ["demo", "--auth"], /Missing value for --auth\./],
    ["a value for a switch", ["demo", "--yes=1"], /--yes takes no value\./],
  ];

  it.each(cases)("rejects %s with one clear line and writes nothing", async (_label, args, message) => {
    const result = await runCli(args, { cwd: workspace });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe("");
    expect(await readdir(workspace)).toEqual([]);
  });

  it("rejects a non-empty directory and keeps its files", async () => {
    const root = path.join(workspace, "demo");
    await mkdir(root);
    await writeFile(path.join(root, "main.py"), "print('mine')\n");
    const result = await runCli(["demo", "--no-git"], { cwd: workspace });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("exists and is not empty");
    expect(result.stderr).toContain("--force");
    expect(await readdir(root)).toEqual(["main.py"]);
    expect(await readdir(workspace)).toEqual(["demo"]);
  });

  it("with --force keeps files the generator does not write", async () => {
    const root = path.join(workspace, "demo");
    await mkdir(root);
    await writeFile(path.join(root, "notes.md"), "mine\n");
    const result = await runCli(["demo", "--force", "--no-git"], { cwd: workspace });
    expect(result.exitCode).toBe(0);
    expect(await readFile(path.join(root, "notes.md"), "utf8")).toBe("mine\n");
    expect((await readdir(root)).sort()).toContain("pyproject.toml");
  });
});

describe("secure-fastapi snippets", () => {
  it("lists the snippets of a generated project", async () => {
    await runCli(["demo", "--yes", "--no-git"], { cwd: workspace });
    const result = await runCli(["snippets", "list"], { cwd: path.join(workspace, "demo") });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/settings\s+v1\s+app\/core\/config\.py\s+v1, up to date/);
  });

  it("marks each snippet file with its id and version", async () => {
    await runCli(["demo", "--yes", "--no-git"], { cwd: workspace });
    const config = await readFile(path.join(workspace, "demo/app/core/config.py"), "utf8");
    expect(config.split("\n")[0]).toBe("# secure-fastapi snippet: settings v1 (secure-fastapi snippets diff settings)");
  });

  it("prints a snippet's code", async () => {
    const result = await runCli(["snippets", "show", "middleware"], { cwd: workspace });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("class SecurityHeadersMiddleware:");
  });

  it("rejects update without a state file and writes nothing", async () => {
    await writeFile(path.join(workspace, "main.py"), "app = None\n");
    const result = await runCli(["snippets", "update"], { cwd: workspace });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("No .secure-fastapi.json in");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await readdir(workspace)).toEqual(["main.py"]);
  });

  it("rejects an unknown subcommand with exit code 2", async () => {
    const result = await runCli(["snippets", "upgrade"], { cwd: workspace });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Unknown snippets command "upgrade"');
  });

  it("lists the subcommands in --help", async () => {
    const result = await runCli(["snippets", "--help"]);
    expect(result.exitCode).toBe(0);
    for (const command of ["list", "show ID", "diff [ID...]", "update [ID...]", "--dry-run", "--allow-dirty"]) {
      expect(result.stdout).toContain(command);
    }
  });
});

describe("secure-fastapi add", () => {
  it("lists the features in --help", async () => {
    const result = await runCli(["add", "--help"]);
    expect(result.exitCode).toBe(0);
    for (const feature of ["auth", "rate-limit", "cors", "errors", "resource NAME", "llm", "model"]) {
      expect(result.stdout).toContain(`  ${feature} `);
    }
  });

  it("is listed in the main --help", async () => {
    const result = await runCli(["--help"]);
    expect(result.stdout).toContain("secure-fastapi add FEATURE");
    expect(result.stdout).toContain("secure-fastapi snippets list|show|diff|update");
  });

  it("shows the diff and asks for --yes without a terminal", async () => {
    const root = path.join(workspace, "todo");
    await cp(path.resolve("test/fixtures/projects/single-file"), root, { recursive: true });
    const result = await runCli(["add", "errors", "--allow-dirty"], { cwd: root });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain("+++ b/core/errors.py");
    expect(result.stderr).toContain("pass --yes");
    expect((await readdir(root)).sort()).toEqual(["main.py", "requirements.txt", "tests"]);
  });

  it("adds a feature with --yes and scans the result", async () => {
    const root = path.join(workspace, "todo");
    await cp(path.resolve("test/fixtures/projects/single-file"), root, { recursive: true });
    const result = await runCli(["add", "errors", "--yes", "--allow-dirty"], { cwd: root });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("Security scan: no findings.");
    expect(await readFile(path.join(root, "main.py"), "utf8")).toContain("install_errors(");
  });
});
