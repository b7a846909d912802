import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { scanPaths } from "../../src/scanner/index.js";
import { FIXTURES, INSECURE_SQL, SAFE_CODE, makeProject } from "./helpers.js";

// Worker threads load the compiled `dist/scanner/worker.js`; `npm test` builds it first.
const compiled = fileURLToPath(new URL("../../dist/scanner/index.js", import.meta.url));

async function loadCompiled(): Promise<typeof scanPaths> {
  return ((await import(compiled)) as { scanPaths: typeof scanPaths }).scanPaths;
}

describe("worker threads", () => {
  it.skipIf(!existsSync(compiled))("match the in-thread scan", async () => {
    const built = await loadCompiled();
    const options = { cwd: FIXTURES, useConfig: false };
    const inThread = await scanPaths(["."], { ...options, workers: 0 });
    const inWorkers = await built(["."], { ...options, workers: 2 });
    expect(inThread.findings.length).toBeGreaterThan(50);
    expect(inWorkers.findings).toEqual(inThread.findings);
    expect(inWorkers.filesScanned).toBe(inThread.filesScanned);
    expect(inWorkers.errors).toEqual(inThread.errors);
  });

  it.skipIf(!existsSync(compiled))("share files with the calling thread", async () => {
    const built = await loadCompiled();
    const files: Record<string, string | Buffer> = { "broken.py": "def f(:\n", "binary.py": Buffer.from([0, 1, 2]) };
    for (let index = 0; index < 300; index++) {
      files[`pkg${index % 7}/module_${index}.py`] = index % 3 === 0 ? INSECURE_SQL : SAFE_CODE;
    }
    const root = makeProject(files);
    const options = { cwd: root, useConfig: false };
    const inThread = await scanPaths(["."], { ...options, workers: 0 });
    const shared = await built(["."], { ...options, workers: 1 });
    expect(inThread.findings).toHaveLength(100);
    expect(inThread.errors.map((error) => error.kind).sort()).toEqual(["binary", "parse"]);
    expect(shared.findings).toEqual(inThread.findings);
    expect(shared.errors).toEqual(inThread.errors);
    expect(shared.filesScanned).toBe(inThread.filesScanned);
    expect(shared.linesScanned).toBe(inThread.linesScanned);
  });
});
