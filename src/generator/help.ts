import { OPTION_SPECS } from "./options.js";

const FIXED_OPTIONS: [string, string][] = [
  ["--name NAME", "project name (default: the directory's name; without a directory, also the directory)"],
  ["-y, --yes", "accept defaults for every option not given"],
  ["--force", "write into a non-empty directory; only generated files are replaced"],
  ["--dry-run", "list the files that would be written, and write nothing"],
  ["--no-git", "skip git init"],
  ["--install", "create .venv and install the project's dependencies"],
  ["--no-install", "skip installing dependencies (the default)"],
  ["-h, --help", "show this help"],
  ["-v, --version", "show the version"],
];

function formatRows(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`).join("\n");
}

function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(",");
  return String(value);
}

/** Help for the create command, built from the option table. */
export function createHelp(version: string): string {
  const projectRows: [string, string][] = OPTION_SPECS.map((spec) =>
    spec.kind === "switch"
      ? [`--${spec.flag}, --no-${spec.flag}`, `${spec.help} (default: ${spec.defaultValue ? "on" : "off"})`]
      : [`--${spec.flag} ${spec.valueName}`, `${spec.help} (default: ${formatDefault(spec.defaultValue)})`],
  );
  return `create-secure-fastapi ${version}
Generate a FastAPI service that is secure by default.

Usage:
  create-secure-fastapi [directory] [options]
  secure-fastapi scan [paths...] [options]     scan code for insecure FastAPI patterns (scan --help)
  secure-fastapi add FEATURE [--dry-run] [--yes]
                                               add auth, rate-limit, cors, errors or resource NAME to a project (add --help)
  secure-fastapi snippets list|show|diff|update
                                               inspect and update this project's security snippets (snippets --help)

Project options (asked interactively when not given):
${formatRows(projectRows)}

Other options:
${formatRows(FIXED_OPTIONS)}

Without a terminal, or with CI set, nothing is asked and defaults apply.
`;
}
