export { runScanCommand, type ScanIo } from "./command.js";
export { scanPaths, defaultScanOptions, DEFAULT_MAX_FILE_BYTES } from "./scan.js";
export { ALL_RULE_INFO as RULES } from "./rules/registry.js";
export type { Finding, RuleInfo, ScanError, ScanOptions, ScanReport, Severity } from "./types.js";
