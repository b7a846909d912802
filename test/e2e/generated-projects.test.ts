import { execa } from "execa";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { ensurePythonEnv } from "../helpers/python-env.js";
import { createDatabase, dropDatabase, freePort, waitForHttp } from "../helpers/services.js";

/**
 * Generated projects, tested as their users would: real dependencies from
 * PyPI, their own pytest suites, ruff, Bandit, our scanner, and a running
 * server. The matrix covers every value of every option at least once.
 */
const MATRIX: { label: string; flags: string[] }[] = [
  { label: "defaults", flags: [] },
  { label: "no-auth-cors", flags: ["--auth", "none", "--cors-origins", "https://app.example.com,http://localhost:5173"] },
  {
    label: "postgres-redis",
    flags: ["--db", "postgres", "--rate-limit-storage", "redis", "--cors-origins", "https://app.example.com"],
  },
  { label: "no-auth-postgres-redis", flags: ["--auth", "none", "--db", "postgres", "--rate-limit-storage", "redis"] },
  // AI projects start with the tiny models built by the commands in their README.
  { label: "llm-safetensors", flags: ["--llm", "--model", "safetensors"] },
  {
    label: "llm-transformers-redis",
    flags: ["--llm", "--model", "transformers", "--rate-limit-storage", "redis"],
  },
  { label: "model-transformers", flags: ["--model", "transformers"] },
  // Without accounts, the prediction route takes API keys.
  {
    label: "no-auth-model-safetensors",
    flags: ["--auth", "none", "--model", "safetensors", "--db", "postgres"],
  },
  { label: "no-auth-llm-redis", flags: ["--auth", "none", "--llm", "--rate-limit-storage", "redis"] },
];

const PYTEST_TIMEOUT_MS = 600_000;

let bin: string;
let workspace: string;

beforeAll(async () => {
  bin = await ensurePythonEnv();
  workspace = await mkdtemp(path.join(tmpdir(), "csf-matrix-"));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

function tool(name: string): string {
  return path.join(bin, name);
}

async function generate(label: string, flags: string[]): Promise<string> {
  const name = `svc-${label}`;
  const result = await runCli([name, "--yes", "--no-git", ...flags], { cwd: workspace });
  expect(result.stderr).toBe("");
  expect(result.exitCode).toBe(0);
  return path.join(workspace, name);
}

/** Run the README's commands that build the tiny models and point the settings at them. */
async function buildTinyModels(root: string, env: Record<string, string>): Promise<void> {
  const readme = await readFile(path.join(root, "README.md"), "utf8");
  const start = readme.indexOf("To try it before you have a model");
  if (start === -1) return;
  const block = /```bash\n([\s\S]*?)```/.exec(readme.slice(start));
  expect(block, "the README's tiny model commands").not.toBeNull();
  await execa("bash", ["-e", "-c", block?.[1] ?? ""], { cwd: root, env });
}

describe.each(MATRIX)("generated project: $label", ({ label, flags }) => {
  let root: string;
  const usesPostgres = flags.includes("postgres");
  const usesRedis = flags.includes("redis");
  const database = `csf_${label.replaceAll("-", "_")}_${process.pid}`;
  const env: Record<string, string> = {};

  beforeAll(async () => {
    root = await generate(label, flags);
    if (usesPostgres) env.TEST_DATABASE_URL = await createDatabase(database);
    if (usesRedis) env.TEST_RATE_LIMIT_STORAGE_URI = "redis://127.0.0.1:6379/15";
  });

  afterAll(async () => {
    if (usesPostgres) await dropDatabase(database);
  });

  it("passes ruff check and ruff format", async () => {
    const check = await execa(tool("ruff"), ["check", "."], { cwd: root, reject: false });
    expect(check.stdout + check.stderr).toContain("All checks passed");
    expect(check.exitCode).toBe(0);
    const format = await execa(tool("ruff"), ["format", "--check", "."], { cwd: root, reject: false });
    expect(format.exitCode, format.stdout).toBe(0);
  });

  it("passes Bandit with zero findings", async () => {
    const result = await execa(tool("bandit"), ["-c", "pyproject.toml", "-r", ".", "-f", "json", "-q"], {
      cwd: root,
      reject: false,
    });
    const report = JSON.parse(result.stdout) as { results: unknown[]; errors: unknown[] };
    expect(report.results).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it("is silent under the bundled scanner", async () => {
    const result = await runCli(["scan", root, "--format", "json"]);
    const report = JSON.parse(result.stdout) as { findings: unknown[] };
    expect(report.findings).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it(
    "passes its own pytest suite",
    async () => {
      const result = await execa(tool("python"), ["-m", "pytest", "-q", "-p", "no:cacheprovider"], {
        cwd: root,
        env,
        reject: false,
      });
      expect(result.exitCode, result.stdout.slice(-4000)).toBe(0);
      expect(result.stdout).toMatch(/\d+ passed/);
      expect(result.stdout).not.toMatch(/\d+ (failed|error)/);
    },
    PYTEST_TIMEOUT_MS,
  );

  it("migrates, starts under uvicorn and answers the readiness probe", async () => {
    const runEnv: Record<string, string> = { PATH: `${bin}:${process.env.PATH ?? ""}` };
    if (usesPostgres) runEnv.DATABASE_URL = env.TEST_DATABASE_URL ?? "";
    await buildTinyModels(root, runEnv);
    await execa(tool("alembic"), ["upgrade", "head"], { cwd: root, env: runEnv });
    const port = await freePort();
    const server = execa(tool("uvicorn"), ["app.main:app", "--host", "127.0.0.1", "--port", String(port)], {
      cwd: root,
      env: runEnv,
      reject: false,
    });
    try {
      const ready = await waitForHttp(`http://127.0.0.1:${port}/api/v1/health/ready`, 90_000);
      expect(ready.status).toBe(200);
      expect(ready.headers.get("x-content-type-options")).toBe("nosniff");
      const missing = await fetch(`http://127.0.0.1:${port}/nothing-here`);
      expect(missing.status).toBe(404);
    } finally {
      server.kill("SIGTERM");
      await server;
    }
  }, 180_000);
});
