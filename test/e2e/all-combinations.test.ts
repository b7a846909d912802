import { execa } from "execa";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allFlagCombinations, flagVariants, OPTION_SPECS } from "../../src/generator/options.js";
import { runCli } from "../helpers/cli.js";
import { ensurePythonEnv } from "../helpers/python-env.js";

/**
 * Static checks on every option combination from the option table: the
 * project generates (which includes our scanner), compiles, and passes ruff
 * check, ruff format and Bandit. The pytest suites run on a representative subset elsewhere.
 */
const COMBINATIONS = allFlagCombinations();

let bin: string;
let workspace: string;

beforeAll(async () => {
  bin = await ensurePythonEnv();
  workspace = await mkdtemp(path.join(tmpdir(), "csf-combinations-"));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe("every option combination", () => {
  it("covers each value of each option", () => {
    const joined = COMBINATIONS.map((flags) => ` ${flags.join(" ")} `);
    for (const spec of OPTION_SPECS) {
      for (const variant of flagVariants(spec).filter((flags) => flags.length > 0)) {
        const found = joined.some((line) => line.includes(` ${variant.join(" ")} `));
        expect(found, variant.join(" ")).toBe(true);
      }
    }
  });

  it.each(COMBINATIONS.map((flags, index) => [flags.join(" ") || "(defaults)", flags, index] as const))(
    "%s generates clean code",
    async (_label, flags, index) => {
      const name = `combo-${index}`;
      const generated = await runCli([name, "--yes", "--no-git", ...flags], { cwd: workspace });
      expect(generated.stderr).toBe("");
      expect(generated.exitCode).toBe(0);
      const root = path.join(workspace, name);
      const compile = await execa(path.join(bin, "python"), ["-m", "compileall", "-q", "app", "tests", "alembic"], {
        cwd: root,
        reject: false,
      });
      expect(compile.exitCode, compile.stdout).toBe(0);
      const ruff = await execa(path.join(bin, "ruff"), ["check", "--no-cache", "."], { cwd: root, reject: false });
      expect(ruff.exitCode, ruff.stdout).toBe(0);
      const format = await execa(path.join(bin, "ruff"), ["format", "--check", "--no-cache", "."], {
        cwd: root,
        reject: false,
      });
      expect(format.exitCode, format.stdout).toBe(0);
      const bandit = await execa(path.join(bin, "bandit"), ["-c", "pyproject.toml", "-r", ".", "-q", "-f", "json"], {
        cwd: root,
        reject: false,
      });
      expect((JSON.parse(bandit.stdout) as { results: unknown[] }).results).toEqual([]);
    },
    60_000,
  );
});
