import type { Parser } from "web-tree-sitter";
import { readSource, type ScanTarget } from "./files.js";
import { RULES } from "./rules/registry.js";
import { scanSource, type FileScanResult } from "./scan-file.js";
import type { ScanError } from "./types.js";

/** One file to scan and the rules to run on it; plain data, so it can cross to a worker. */
export interface FileJob {
  target: ScanTarget;
  maxFileBytes: number;
  ruleIds: string[];
  reportSuppressionProblems: boolean;
}

export type FileJobResult = { error: ScanError } | { result: FileScanResult };

/** Read and scan one file. */
export function runFileJob(parser: Parser, job: FileJob): FileJobResult {
  const read = readSource(job.target, job.maxFileBytes);
  if ("error" in read) return read;
  const rules = RULES.filter((rule) => job.ruleIds.includes(rule.id));
  return {
    result: scanSource(parser, read.text, rules, {
      path: job.target.display,
      reportSuppressionProblems: job.reportSuppressionProblems,
    }),
  };
}
