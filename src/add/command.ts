import * as clack from "@clack/prompts";
import path from "node:path";
import { parseArgs } from "node:util";
import { argumentError, CliError, UsageError } from "../errors.js";
import { PromptCancelledError } from "../generator/prompts.js";
import { readPackageManifest } from "../paths.js";
import { scanPaths } from "../scanner/index.js";
import { loadCatalog } from "../snippets/catalog.js";
import { checkStateNotNewer } from "../snippets/compatibility.js";
import { findUncommittedFiles } from "../snippets/git.js";
import {
  createState,
  serializeState,
  sha256,
  STATE_FILE,
  STATE_FORMAT,
  type ManagedFile,
  type ProjectState,
} from "../snippets/state.js";
import { unifiedDiff } from "../snippets/unified-diff.js";
import { writeFilesAtomically } from "../snippets/write-files.js";
import { FEATURES, findFeature, type Feature } from "./features/index.js";
import type { AddPlan } from "./plan.js";
import { Project } from "./project.js";

export interface AddIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Whether a person can answer the confirmation prompt. */
  interactive: boolean;
}

export interface AddOptions {
  /** Project root; defaults to the current folder. */
  cwd?: string;
  /** Folder of the snippet catalog; tests point it at a modified copy. */
  snippetsRoot?: string;
  /** Asks whether to apply the change; defaults to a clack prompt. */
  confirm?: (message: string) => Promise<boolean | symbol>;
}

interface AddArgs {
  feature: string | undefined;
  argument: string | undefined;
  dryRun: boolean;
  yes: boolean;
  allowDirty: boolean;
  help: boolean;
}

function featureList(): string {
  const rows = FEATURES.map((feature) => [
    feature.argument ? `${feature.name} ${feature.argument}` : feature.name,
    feature.summary,
  ]);
  const width = Math.max(...rows.map(([name]) => (name ?? "").length)) + 2;
  return rows.map(([name, summary]) => `  ${(name ?? "").padEnd(width)}${summary}`).join("\n");
}

function helpText(): string {
  return `Usage:
  secure-fastapi add FEATURE [options]

Adds one security feature to the FastAPI project in the current folder, whether
create-secure-fastapi generated it or not. The whole change is shown as a diff
first, and the bundled scanner checks the project afterwards.

Features:
${featureList()}

Options:
  --dry-run        show the diff, and write nothing
  -y, --yes        apply without asking (needed without a terminal)
  --allow-dirty    write even when git reports uncommitted changes to the files it changes
  -h, --help       show this help
`;
}

function parseAddArgs(argv: string[]): AddArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        "dry-run": { type: "boolean" },
        yes: { type: "boolean", short: "y" },
        "allow-dirty": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw argumentError(error, "Run secure-fastapi add --help to see the options.");
  }
  const [feature, argument, ...rest] = parsed.positionals;
  if (rest.length > 0)
    throw new UsageError(`Unexpected argument ${JSON.stringify(rest[0])}.`, "Add one feature at a time.");
  return {
    feature,
    argument,
    dryRun: Boolean(parsed.values["dry-run"]),
    yes: Boolean(parsed.values.yes),
    allowDirty: Boolean(parsed.values["allow-dirty"]),
    help: Boolean(parsed.values.help),
  };
}

function checkArgument(args: AddArgs, feature: Feature): void {
  const { name, argument, argumentExample } = feature;
  if (argument && args.argument === undefined) {
    throw new UsageError(
      `add ${name} needs a ${argument}.`,
      `Run secure-fastapi add ${name} ${argumentExample ?? argument}.`,
    );
  }
  if (!argument && args.argument !== undefined) {
    throw new UsageError(`add ${name} takes no argument, got ${JSON.stringify(args.argument)}.`);
  }
}

/**
 * Mask every value in the diff of a file that contains secrets, such as
 * .env, so that neither the new key nor the values around it reach a terminal or log.
 */
function maskSecrets(diff: string): string {
  return diff.replace(/^([ +-])([A-Za-z_][A-Za-z0-9_]*)=.*$/gm, (_line, prefix: string, name: string) =>
    prefix === "+" ? `+${name}=<new random value, not shown>` : `${prefix}${name}=<not shown>`,
  );
}

async function renderDiff(plan: AddPlan): Promise<string> {
  let output = "";
  for (const file of plan.project.staged()) {
    const before = await plan.project.original(file.path);
    const oldLabel = before === null ? "/dev/null" : `a/${file.path}`;
    let diff = unifiedDiff(before ?? "", file.content, { oldLabel, newLabel: `b/${file.path}` });
    if (diff === "" && before === null) diff = `--- /dev/null\n+++ b/${file.path} (new empty file)\n`;
    output += plan.secretFiles.has(file.path) ? maskSecrets(diff) : diff;
  }
  return output;
}

function indentBlock(lines: string): string {
  return lines
    .split("\n")
    .map((line) => (line === "" ? "" : `    ${line}`))
    .join("\n");
}

function formatManual(plan: AddPlan): string {
  const steps = plan.manual.map(
    (step) => `${step.file}, ${step.where} (${step.reason}):\n${indentBlock(step.lines)}\n`,
  );
  return steps.join("\n");
}

/**
 * Build the error for edits that overlap the change. It shows only the
 * conflicting files' changes: the whole diff of an option change can run to
 * thousands of lines, and --dry-run prints it.
 */
function conflictError(plan: AddPlan, command: string, dryRun: boolean): CliError {
  const files = plan.conflicts.map((conflict) => conflict.file).join(", ");
  const changes = plan.conflicts.map((conflict) => `${conflict.file}:\n${indentBlock(conflict.diff.trimEnd())}\n`);
  const wholeChange = dryRun ? "the diff above shows it" : `\`${command} --dry-run\` prints it`;
  return new CliError(
    `Your edits to ${files} overlap the change that \`${command}\` makes there, so nothing was written. The change there, from the old to the new generated version:\n\n${changes.join("\n")}`,
    {
      hint: `Put back the generated version of ${files}, keeping a copy of your edits, run \`${command}\` again, then make your edits again. Or make the whole change by hand: ${wholeChange}.`,
    },
  );
}

/** Build the state after this run, recording each file written from a snippet with its text as written. */
function nextState(plan: AddPlan, generatorVersion: string, projectName: string): ProjectState {
  const staged = new Map(plan.project.staged().map((file) => [file.path, file.content]));
  const previous = plan.project.state ?? createState({ name: projectName, options: null }, generatorVersion, []);
  const files = new Map<string, ManagedFile>(previous.files.map((entry) => [entry.path, entry]));
  for (const write of [...plan.managed, ...(plan.rebased ?? [])]) {
    const written = staged.get(write.path) ?? write.content;
    files.set(write.path, {
      path: write.path,
      snippet: write.snippet,
      version: write.version,
      sha256: sha256(written),
      base: write.content,
    });
  }
  return {
    format: STATE_FORMAT,
    generator: { name: previous.generator.name, version: generatorVersion },
    project: { name: previous.project.name, options: plan.options ?? previous.project.options },
    files: [...files.values()],
  };
}

async function confirmChange(io: AddIo, args: AddArgs, options: AddOptions): Promise<void> {
  if (args.yes) return;
  if (!io.interactive) {
    throw new UsageError(
      "Not applied: confirming the change needs a terminal; nothing was written.",
      "Review the diff above, then pass --yes to apply it.",
    );
  }
  const ask = options.confirm ?? ((message: string) => clack.confirm({ message, initialValue: false }));
  const answer = await ask("Apply these changes?");
  if (clack.isCancel(answer)) throw new PromptCancelledError(false);
  if (answer !== true) throw new CliError("Not applied; nothing was written.");
}

/** Scan the project; returns the exit code: 1 when a file this run wrote has findings. */
async function scanResult(io: AddIo, root: string, changed: Set<string>): Promise<number> {
  const report = await scanPaths([root], { cwd: root });
  const own = report.findings.filter((finding) => changed.has(finding.path));
  for (const finding of report.findings) {
    io.stderr.write(`${finding.path}:${finding.line}:${finding.column}: ${finding.ruleId} ${finding.message}\n`);
  }
  if (report.findings.length === 0) {
    io.stdout.write("Security scan: no findings.\n");
    return 0;
  }
  const others = report.findings.length - own.length;
  io.stderr.write(
    `Security scan: ${own.length} finding(s) in files this command wrote, ${others} elsewhere in the project.\n`,
  );
  return own.length > 0 ? 1 : 0;
}

/** Refuse to change files that have uncommitted edits, which the user could not get back. */
async function checkClean(project: Project, files: readonly { path: string }[]): Promise<void> {
  const existing: string[] = [];
  for (const file of files) if ((await project.original(file.path)) !== null) existing.push(file.path);
  const dirty = await findUncommittedFiles(project.root, existing);
  if (dirty.length > 0) {
    throw new CliError(`Uncommitted changes in ${dirty.join(", ")}; nothing was written.`, {
      hint: "Commit or stash them first, so the change can be reviewed and undone, or pass --allow-dirty.",
    });
  }
}

/** Run `secure-fastapi add ...`; returns the exit code. Errors reach the caller as CliError. */
export async function runAddCommand(argv: string[], io: AddIo, options: AddOptions = {}): Promise<number> {
  const args = parseAddArgs(argv);
  if (args.help) {
    io.stdout.write(helpText());
    return 0;
  }
  if (args.feature === undefined) {
    throw new UsageError(
      "Missing the feature to add.",
      `Use one of: ${FEATURES.map((feature) => feature.name).join(", ")}.`,
    );
  }
  const feature = findFeature(args.feature);
  if (!feature) {
    throw new UsageError(
      `Unknown feature ${JSON.stringify(args.feature)}.`,
      `Use one of: ${FEATURES.map((item) => item.name).join(", ")}.`,
    );
  }
  checkArgument(args, feature);

  const root = path.resolve(options.cwd ?? process.cwd());
  const { version } = readPackageManifest();
  const project = await Project.open(root);
  const catalog = await loadCatalog(options.snippetsRoot);
  if (project.state) checkStateNotNewer(project.state, catalog, version);
  const plan = await feature.plan({
    project,
    catalog,
    generatorVersion: version,
    snippetsRoot: options.snippetsRoot,
    argument: args.argument,
  });
  if (plan.alreadyPresent) {
    io.stdout.write(`${plan.alreadyPresent}\n`);
    return 0;
  }

  if (plan.conflicts.length > 0) {
    if (args.dryRun) io.stdout.write(await renderDiff(plan));
    const command = ["secure-fastapi add", feature.name, ...(args.argument === undefined ? [] : [args.argument])];
    throw conflictError(plan, command.join(" "), args.dryRun);
  }

  const diff = await renderDiff(plan);
  io.stdout.write(diff);
  if (plan.manual.length > 0) {
    throw new CliError(
      `Could not place every change safely, so nothing was written. Make these changes by hand, with the rest of the diff above:\n\n${formatManual(plan)}`,
      {
        hint: "Then run secure-fastapi scan to check the result.",
      },
    );
  }

  const files = plan.project.staged();
  if (files.length === 0) {
    io.stdout.write("Nothing to change.\n");
    return 0;
  }
  if (args.dryRun) {
    io.stdout.write(
      `Dry run; nothing was written (${files.length} file${files.length === 1 ? "" : "s"} would change).\n`,
    );
    return 0;
  }

  const state = { path: STATE_FILE, content: serializeState(nextState(plan, version, await project.name())) };
  if (!args.allowDirty) await checkClean(project, [...files, state]);
  await confirmChange(io, args, options);

  await writeFilesAtomically(root, [...files, state], { privateFiles: plan.secretFiles });
  io.stdout.write(`Added ${feature.name}: ${files.map((file) => file.path).join(", ")}.\n`);
  for (const note of plan.notes) io.stdout.write(`- ${note}\n`);
  return scanResult(io, root, new Set(files.map((file) => file.path)));
}
