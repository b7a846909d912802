#!/usr/bin/env node
// Benchmarks for the record: the time of a full non-interactive generation
// (median of several runs, including the self-scan), then the scanner's
// throughput against Bandit and Semgrep. Prints figures; asserts nothing.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin", "create-secure-fastapi.js");
const RUNS = 7;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function benchGeneration() {
  const workspace = mkdtempSync(path.join(tmpdir(), "csf-bench-"));
  const times = [];
  try {
    for (let run = 0; run < RUNS; run += 1) {
      const start = process.hrtime.bigint();
      execFileSync("node", [bin, `demo-${run}`, "--yes", "--no-git"], {
        cwd: workspace,
        env: { ...process.env, CI: "true" },
        stdio: "ignore",
      });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
  console.log(`generation (defaults, --yes --no-git, self-scan included): median ${median(times).toFixed(0)} ms over ${RUNS} runs`);
  console.log(`  runs: ${times.map((time) => time.toFixed(0)).join(", ")} ms`);
}

benchGeneration();
const scannerBench = path.join(root, "scripts", "bench-scanner.mjs");
if (existsSync(scannerBench)) {
  const result = spawnSync("node", [scannerBench], { stdio: "inherit" });
  process.exitCode = result.status ?? 1;
}
