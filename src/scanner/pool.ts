import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { FileJob, FileJobResult } from "./file-job.js";
import type { WorkerRequest, WorkerResponse } from "./worker.js";

/** Files per message; large enough to amortise messaging, small enough to balance load. */
const BATCH_SIZE = 24;

/** Below this many files, starting workers (an estimated tens of milliseconds each) costs more than it saves. */
export const MIN_FILES_FOR_WORKERS = 150;

/**
 * At most this many workers, because each has its own V8 heap and WebAssembly
 * memory and the scanner's memory target is 200 MB. On the benchmark corpus
 * (scripts/bench-scanner.mjs) peak RSS was about 130 MB in one thread and
 * 150 to 180 MB with two workers.
 */
const MAX_WORKERS = 2;

/**
 * Return the compiled worker script, or null when running from TypeScript
 * sources (under the test runner), where worker threads cannot load `.ts` files.
 */
function workerScript(): URL | null {
  const url = new URL("./worker.js", import.meta.url);
  return url.protocol === "file:" && existsSync(fileURLToPath(url)) ? url : null;
}

/** Choose how many workers to use for `fileCount` files; 0 means scan in this thread. */
export function workerCount(fileCount: number, requested?: number): number {
  if (requested !== undefined) return workerScript() ? requested : 0;
  if (fileCount < MIN_FILES_FOR_WORKERS || !workerScript()) return 0;
  return Math.min(MAX_WORKERS, availableParallelism());
}

/**
 * Run jobs on `count` worker threads, handing out batches as workers become
 * free. Results come back in job order. A worker that crashes rejects the
 * whole scan, since its files would otherwise go unreported.
 */
export async function runInWorkers(jobs: FileJob[], count: number): Promise<FileJobResult[]> {
  const script = workerScript();
  if (!script) throw new Error("worker script not found next to the scanner module");
  const results: FileJobResult[] = new Array(jobs.length);
  let next = 0;
  const takeBatch = (): WorkerRequest | null => {
    if (next >= jobs.length) return null;
    const indexes: number[] = [];
    for (let i = 0; i < BATCH_SIZE && next < jobs.length; i++) indexes.push(next++);
    return { indexes, jobs: indexes.map((index) => jobs[index] as FileJob) };
  };
  const runWorker = (): Promise<void> =>
    new Promise((resolve, reject) => {
      // A smaller young generation keeps each worker's resident memory down.
      const worker = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 16 } });
      const send = (): void => {
        const batch = takeBatch();
        if (batch) worker.postMessage(batch);
        else void worker.terminate().then(() => resolve());
      };
      worker.on("message", (response: WorkerResponse) => {
        response.indexes.forEach((index, position) => {
          results[index] = response.results[position] as FileJobResult;
        });
        send();
      });
      worker.once("error", reject);
      worker.once("online", send);
    });
  await Promise.all(Array.from({ length: Math.max(1, count) }, runWorker));
  return results;
}
