import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { scanPaths } from "../../src/scanner/index.js";
import { FIXTURES } from "./helpers.js";

// Worker threads load the compiled `dist/scanner/worker.js`; `npm test` builds it first.
const compiled = fileURLToPath(new URL("../../dist/scanner/index.js", import.meta.url));

describe("worker threads", () => {
  it.skipIf(!existsSync(compiled))("match the in-thread scan", async () => {
    const built = (await import(compiled)) as { scanPaths: typeof scanPaths };
    const options = { cwd: FIXTURES, useConfig: false };
    const inThread = await scanPaths(["."], { ...options, workers: 0 });
    const inWorkers = await built.scanPaths(["."], { ...options, workers: 2 });
    expect(inThread.findings.length).toBeGreaterThan(50);
    expect(inWorkers.findings).toEqual(inThread.findings);
    expect(inWorkers.filesScanned).toBe(inThread.filesScanned);
    expect(inWorkers.errors).toEqual(inThread.errors);
  });
});
