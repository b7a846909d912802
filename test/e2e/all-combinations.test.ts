import { execa } from "execa";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allFlagCombinations, OPTION_SPECS } from "../../src/generator/options.js";
import { runCli } from "../helpers/cli.js";
import { ensurePythonEnv } from "../helpers/python-env.js";

/**
 * Static checks on every option combination from the option table: the
 * project generates (which includes our scanner), compiles, and passes ruff
 * and Bandit. The pytest suites run on a representative subset elsewhere.
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
    expect(COMBINATIONS.length).toBe(16);
    for (const spec of OPTION_SPECS) {
      const values = spec.kind === "choice" ? spec.choices.map((choice) => choice.value) : [spec.example];
      for (const value of values) {
        const flag = `--${spec.flag}`;
        const found = COMBINATIONS.some((flags) => flags.some((item, i) => item === flag && flags[i + 1] === value));
        expect(found, `${flag} ${value}`).toBe(true);
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
      const bandit = await execa(path.join(bin, "bandit"), ["-c", "pyproject.toml", "-r", ".", "-q", "-f", "json"], {
        cwd: root,
        reject: false,
      });
      expect((JSON.parse(bandit.stdout) as { results: unknown[] }).results).toEqual([]);
    },
    60_000,
  );
});
