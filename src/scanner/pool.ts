import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { FileJob, FileJobResult } from "./file-job.js";
import type { WorkerRequest, WorkerResponse } from "./worker.js";

/** Maximum files per message to a worker; large enough to amortise messaging. */
const WORKER_BATCH_SIZE = 24;

/**
 * Maximum files the calling thread scans before it handles worker messages
 * again. Kept small because a worker whose result waits here is handed its
 * next batch late.
 */
const LOCAL_BATCH_SIZE = 4;

/** Batches handed to each worker ahead, so that it has work while its last result waits. */
const BATCHES_AHEAD = 2;

/**
 * Below this much source, a worker costs more than it saves: it takes about
 * 80 ms to start and compiles the rules' JavaScript again, while one thread
 * scans 2 to 3 MB a second. Estimated on a loaded 2-CPU machine, where
 * 0.2 MB and 1 MB scanned no faster with a worker and 3.5 MB did.
 */
export const MIN_BYTES_FOR_WORKERS = 2 * 1024 * 1024;

/**
 * At most this many threads scan, the calling thread included, because each
 * has its own V8 heap and WebAssembly memory and the scanner's memory target
 * is 200 MB. On the benchmark corpus (scripts/bench-scanner.mjs, see
 * docs/benchmarks.md) two threads peaked at about 157 MiB RSS.
 */
const MAX_THREADS = 2;

/**
 * Return the compiled worker script, or null when running from TypeScript
 * sources (under the test runner), where worker threads cannot load `.ts` files.
 */
function workerScript(): URL | null {
  const url = new URL("./worker.js", import.meta.url);
  return url.protocol === "file:" && existsSync(fileURLToPath(url)) ? url : null;
}

/**
 * Choose how many worker threads to start for `jobs`, besides the calling
 * thread, which scans too; 0 means scan in the calling thread only.
 */
export function workerCount(jobs: readonly FileJob[], requested?: number): number {
  if (!workerScript()) return 0;
  if (requested !== undefined) return requested;
  const threads = Math.min(MAX_THREADS, availableParallelism());
  if (threads < 2 || totalBytes(jobs, MIN_BYTES_FOR_WORKERS) < MIN_BYTES_FOR_WORKERS) return 0;
  return threads - 1;
}

/** Add up the sizes of the jobs' files, stopping once `enough` is reached; unreadable files count as empty. */
function totalBytes(jobs: readonly FileJob[], enough: number): number {
  let total = 0;
  for (const job of jobs) {
    if (total >= enough) break;
    try {
      total += statSync(job.target.absolute).size;
    } catch {
      // readSource reports the file when its job runs.
    }
  }
  return total;
}

/** A function that scans one file in the calling thread. */
export type LocalRunner = (job: FileJob) => FileJobResult;

/**
 * Run jobs on `count` worker threads and on the calling thread at once, each
 * taking the next batch when it is free. The calling thread starts at once,
 * while the workers are still loading. Results come back in job order. A
 * worker that crashes or exits early rejects the whole scan, since its files
 * would otherwise go unreported.
 */
export async function runInWorkers(
  jobs: FileJob[],
  count: number,
  prepareLocal: () => Promise<LocalRunner>,
): Promise<FileJobResult[]> {
  const script = workerScript();
  if (!script) throw new Error("worker script not found next to the scanner module");
  const results: FileJobResult[] = new Array(jobs.length);
  const threads = count + 1;
  let next = 0;
  let failed = false;
  const workers: Worker[] = [];

  // Batches shrink towards the end, so that no thread is left with a long
  // batch while the others are idle.
  const takeBatch = (maxSize: number): number[] | null => {
    const remaining = jobs.length - next;
    if (failed || remaining <= 0) return null;
    const size = Math.max(1, Math.min(maxSize, Math.ceil(remaining / (BATCHES_AHEAD * threads))));
    const indexes: number[] = [];
    for (let i = 0; i < size; i++) indexes.push(next++);
    return indexes;
  };

  const runWorker = (): Promise<void> =>
    new Promise((resolve, reject) => {
      // A smaller young generation keeps each worker's resident memory down.
      const worker = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 16 } });
      workers.push(worker);
      let pending = 0;
      let done = false;
      const fail = (error: Error): void => {
        if (done) return;
        done = true;
        failed = true;
        for (const other of workers) void other.terminate();
        reject(error);
      };
      const send = (): boolean => {
        const indexes = takeBatch(WORKER_BATCH_SIZE);
        if (!indexes) return false;
        const request: WorkerRequest = { indexes, jobs: indexes.map((index) => jobs[index] as FileJob) };
        worker.postMessage(request);
        pending++;
        return true;
      };
      const finishIfIdle = (): void => {
        if (pending > 0 || done) return;
        done = true;
        void worker.terminate().then(() => resolve());
      };
      worker.on("message", (response: WorkerResponse) => {
        pending--;
        response.indexes.forEach((index, position) => {
          results[index] = response.results[position] as FileJobResult;
        });
        send();
        finishIfIdle();
      });
      worker.once("online", () => {
        for (let i = 0; i < BATCHES_AHEAD; i++) send();
        finishIfIdle();
      });
      worker.once("error", fail);
      worker.once("exit", (code) => {
        fail(new Error(`scanner worker exited with code ${code} before finishing its files`));
      });
    });

  const runLocal = async (): Promise<void> => {
    const scan = await prepareLocal();
    for (let indexes = takeBatch(LOCAL_BATCH_SIZE); indexes; indexes = takeBatch(LOCAL_BATCH_SIZE)) {
      for (const index of indexes) results[index] = scan(jobs[index] as FileJob);
      // Let worker messages in, so that idle workers get their next batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  const started = Array.from({ length: count }, runWorker);
  const local = runLocal().catch((error: unknown) => {
    failed = true;
    for (const worker of workers) void worker.terminate();
    throw error;
  });
  await Promise.all([...started, local]);
  return results;
}
