import { execa } from "execa";
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { PYTHON_REQUIREMENTS } from "../../src/generator/python-deps.js";
import { SYSTEM_PYTHON } from "./python.js";

const ENV_ROOT = path.resolve(".cache/python-env");
const LOCK = `${ENV_ROOT}.lock`;
const STALE_LOCK_MS = 20 * 60_000;
// NOTE: 2.13.0 is the CPU wheel that this project's CI machines keep on disk;
// elsewhere pip downloads it from PyPI.
const TORCH_REQUIREMENT = process.env.TEST_TORCH_REQUIREMENT ?? "torch==2.13.0";

/** List every requirement any generated project may need, plus the parsers tests use. */
function requirements(): string[] {
  const fromTable = PYTHON_REQUIREMENTS.map((item) => item.requirement);
  return [...new Set([...fromTable, "pyyaml", "python-dotenv"])].sort();
}

async function acquireLock(): Promise<void> {
  for (;;) {
    try {
      await mkdir(LOCK, { recursive: false });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = Date.now() - (await stat(LOCK)).mtimeMs;
      if (age > STALE_LOCK_MS) await rm(LOCK, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function readStamp(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return null;
  }
}

/**
 * Create (once, then reuse) a virtual environment with the real dependencies
 * of generated projects from PyPI. Returns the folder of its executables.
 */
export async function ensurePythonEnv(): Promise<string> {
  const bin = path.join(ENV_ROOT, "bin");
  const wanted = requirements();
  const digest = createHash("sha256").update([TORCH_REQUIREMENT, ...wanted].join("\n")).digest("hex");
  const stampFile = path.join(ENV_ROOT, ".requirements-sha256");
  await mkdir(path.dirname(ENV_ROOT), { recursive: true });
  await acquireLock();
  try {
    if ((await readStamp(stampFile)) === digest) return bin;
    await rm(ENV_ROOT, { recursive: true, force: true });
    await execa(SYSTEM_PYTHON, ["-m", "venv", ENV_ROOT]);
    // Install the CPU build of PyTorch first so that the project's
    // "torch>=2.10" keeps it instead of resolving a multi-gigabyte CUDA build.
    await execa(path.join(bin, "pip"), ["install", "--quiet", "--disable-pip-version-check", TORCH_REQUIREMENT], {
      stdio: "inherit",
    });
    await execa(path.join(bin, "pip"), ["install", "--quiet", "--disable-pip-version-check", ...wanted], {
      stdio: "inherit",
    });
    await writeFile(stampFile, digest);
    return bin;
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}
