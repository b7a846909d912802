import { parentPort } from "node:worker_threads";
import { runFileJob, type FileJob, type FileJobResult } from "./file-job.js";
import { getParser } from "./parse/parser.js";

/** A batch of jobs sent by the pool, with their positions in the scan. */
export interface WorkerRequest {
  indexes: number[];
  jobs: FileJob[];
}

export interface WorkerResponse {
  indexes: number[];
  results: FileJobResult[];
}

const port = parentPort;
if (port) {
  const parser = await getParser();
  port.on("message", (request: WorkerRequest) => {
    const results = request.jobs.map((job) => runFileJob(parser, job));
    const response: WorkerResponse = { indexes: request.indexes, results };
    port.postMessage(response);
  });
}
