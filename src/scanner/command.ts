import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { argumentError, CliError, UsageError } from "../errors.js";
import { formatJson } from "./report/json.js";
import { formatSarif } from "./report/sarif.js";
import { formatScanErrors, formatText, shouldColor } from "./report/text.js";
import { ALL_RULE_INFO } from "./rules/registry.js";
import { scanPaths } from "./scan.js";
import { SEVERITIES, type ScanReport, type Severity } from "./types.js";

export interface ScanIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal; defaults to `stdout.isTTY`. */
  isTTY?: boolean;
  /** Folder that relative paths are resolved against; defaults to the process's. */
  cwd?: string;
}

const FORMATS = ["text", "json", "sarif"] as const;
type Format = (typeof FORMATS)[number];

export const EXIT_CLEAN = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

const HELP = `Usage: secure-fastapi scan [paths...] [options]

Scan Python files for insecure FastAPI code. Paths default to the current folder.

Options:
  --format text|json|sarif   Report format (default: text)
  --output FILE              Write the report to FILE instead of stdout
  --rule ID[,ID...]          Run only these rules (repeatable)
  --exclude GLOB             Skip matching files and folders; a glob relative to the current
                             folder or an absolute path (repeatable)
  --min-severity LEVEL       Report only low, medium or high and above (default: low)
  --list-rules               Print the rules and exit
  -h, --help                 Print this help and exit

Exit codes: 0 no findings, 1 findings, 2 usage error or unreadable input.
Suppress one finding with a reason: # secure-fastapi: ignore[SFA006] constant table name
`;

/**
 * Run `scan` with its own arguments: parse them, scan, print the report and
 * return the exit code. Throws UsageError (exit code 2) for bad arguments.
 */
export async function runScanCommand(args: string[], io: ScanIo = defaultIo()): Promise<number> {
  const options = parseScanArgs(args);
  if (options.help) {
    io.stdout.write(HELP);
    return EXIT_CLEAN;
  }
  if (options.listRules) {
    io.stdout.write(
      ALL_RULE_INFO.map(
        (rule) => `${rule.id}  ${rule.severity.padEnd(6)}  ${rule.cwe.padEnd(8)}  ${rule.title}\n`,
      ).join(""),
    );
    return EXIT_CLEAN;
  }
  const cwd = io.cwd ?? process.cwd();
  const report = await scanPaths(options.paths, {
    cwd,
    rules: options.rules,
    exclude: options.exclude,
    minSeverity: options.minSeverity,
  });
  const env = io.env ?? process.env;
  const isTTY = io.isTTY ?? Boolean((io.stdout as NodeJS.WriteStream).isTTY);
  const color = options.output === null && shouldColor(isTTY, env);
  const output = render(report, options.format, { cwd, color });
  if (options.output === null) {
    io.stdout.write(output);
  } else {
    await writeReport(path.resolve(cwd, options.output), output, options.format);
  }
  io.stderr.write(formatScanErrors(report.errors));
  if (report.errors.some((error) => error.explicit)) return EXIT_USAGE;
  return report.findings.length > 0 ? EXIT_FINDINGS : EXIT_CLEAN;
}

function defaultIo(): ScanIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

interface ScanArguments {
  paths: string[];
  format: Format;
  output: string | null;
  rules: string[];
  exclude: string[];
  minSeverity: Severity;
  help: boolean;
  listRules: boolean;
}

function parseScanArgs(args: string[]): ScanArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        format: { type: "string" },
        output: { type: "string", short: "o" },
        rule: { type: "string", multiple: true },
        exclude: { type: "string", multiple: true },
        "min-severity": { type: "string" },
        "list-rules": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw argumentError(error, "Run `secure-fastapi scan --help` for the options.");
  }
  const { values, positionals } = parsed;
  return {
    paths: positionals,
    format: oneOf("--format", values.format ?? "text", FORMATS),
    output: values.output ?? null,
    rules: (values.rule ?? [])
      .flatMap((list) => list.split(","))
      .map((id) => id.trim().toUpperCase())
      .filter((id) => id !== ""),
    exclude: values.exclude ?? [],
    minSeverity: oneOf("--min-severity", values["min-severity"] ?? "low", SEVERITIES),
    help: values.help ?? false,
    listRules: values["list-rules"] ?? false,
  };
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`Invalid value "${value}" for ${flag}`, `Use one of: ${allowed.join(", ")}.`);
}

function render(report: ScanReport, format: Format, options: { cwd: string; color: boolean }): string {
  if (format === "json") return formatJson(report);
  if (format === "sarif") return formatSarif(report, { cwd: options.cwd });
  return formatText(report, { color: options.color });
}

async function writeReport(file: string, output: string, format: Format): Promise<void> {
  try {
    await writeFile(file, output);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    if (code === "EISDIR") {
      throw new CliError(`Cannot write the report to ${file}: it is a folder`, {
        exitCode: EXIT_USAGE,
        hint: `Give --output a file path, such as ${path.join(file, `report.${format === "text" ? "txt" : format}`)}.`,
      });
    }
    throw new CliError(`Cannot write the report to ${file} (${code})`, {
      exitCode: EXIT_USAGE,
      hint: WRITE_HINTS[code] ?? "Check that the folder exists and is writable.",
    });
  }
}

/** Hints for the errors that writing the report commonly fails with, by error code. */
const WRITE_HINTS: Record<string, string> = {
  ENOENT: "Check that the folder exists.",
  ENOTDIR: "Check that each folder in the path is a folder, not a file.",
  EACCES: "Check that the folder is writable.",
  EPERM: "Check that the folder is writable.",
};
