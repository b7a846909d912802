import path from "node:path";
import { readPackageManifest } from "../paths.js";
import { parseCreateArgs, type CreateArgs } from "./args.js";
import { createHelp } from "./help.js";
import { defaultOptions, type ProjectOptions } from "./options.js";
import { planProject, type ProjectSpec } from "./plan.js";
import { initGit, installDependencies, type StepResult } from "./post-steps.js";
import { promptForMissing } from "./prompts.js";
import { normalizeProjectName } from "./validate.js";
import { verifyGeneratedProject } from "./verify.js";
import { planTarget, writeProject, type TargetPlan } from "./write.js";

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  interactive: boolean;
}

const DEFAULT_DIRECTORY = "my-api";

interface ResolvedRun {
  target: string;
  spec: ProjectSpec;
}

async function resolveRun(args: CreateArgs, io: Io, version: string): Promise<ResolvedRun> {
  const ask = io.interactive && !args.yes;
  const answers = ask
    ? await promptForMissing(args)
    : {
        // Like other create tools, a name without a directory names the directory too.
        directory: args.directory ?? args.name ?? DEFAULT_DIRECTORY,
        name: args.name,
        options: { ...defaultOptions(), ...args.options } as ProjectOptions,
      };
  const target = path.resolve(answers.directory);
  const name = normalizeProjectName(answers.name ?? path.basename(target));
  return { target, spec: { name, options: answers.options, generatorVersion: version } };
}

/** Quote a path for a POSIX shell when it contains anything but safe characters. */
function shellQuote(value: string): string {
  return /^[\w./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

function nextSteps(target: string, installed: boolean): string {
  const relative = shellQuote(path.relative(process.cwd(), target) || ".");
  const activate = installed ? [] : ["python3 -m venv .venv", '.venv/bin/pip install -e ".[dev]"'];
  const lines = [`cd ${relative}`, ...activate, ".venv/bin/pytest", ".venv/bin/alembic upgrade head", ".venv/bin/uvicorn app.main:app --reload"];
  return lines.map((line) => `  ${line}`).join("\n");
}

async function runPostSteps(args: CreateArgs, target: string): Promise<StepResult[]> {
  const results: StepResult[] = [];
  if (args.git) results.push(await initGit(target));
  if (args.install === true) results.push(await installDependencies(target));
  return results;
}

function dryRunNote(file: string, plan: TargetPlan): string {
  if (plan.replaced.includes(file)) return "  (replaces an existing file)";
  if (plan.kept.includes(file)) return "  (exists; kept)";
  return "";
}

/** Run the create command; returns the exit code. Errors reach the caller as CliError. */
export async function runCreateCommand(argv: string[], io: Io): Promise<number> {
  const args = parseCreateArgs(argv);
  const { version } = readPackageManifest();
  if (args.help) {
    io.stdout.write(createHelp(version));
    return 0;
  }
  if (args.version) {
    io.stdout.write(`${version}\n`);
    return 0;
  }
  const { target, spec } = await resolveRun(args, io, version);
  const files = await planProject(spec);
  if (args.dryRun) {
    const plan = await planTarget(target, files, args.force);
    io.stdout.write(`Would write ${files.length} files to ${target}:\n`);
    io.stdout.write(files.map((file) => `  ${file.path}${dryRunNote(file.path, plan)}\n`).join(""));
    return 0;
  }
  const plan = await writeProject(target, files, { force: args.force, verify: verifyGeneratedProject });
  io.stdout.write(`Created ${spec.name} in ${target} (${files.length} files; security scan: no findings).\n`);
  for (const file of plan.replaced) io.stdout.write(`Replaced the existing ${file}.\n`);
  for (const file of plan.kept) io.stdout.write(`Kept the existing ${file}.\n`);
  const results = await runPostSteps(args, target);
  for (const result of results) io.stdout.write(`${result.ok ? "" : "Warning: "}${result.detail}\n`);
  io.stdout.write(`\nNext steps:\n${nextSteps(target, args.install === true && results.every((r) => r.ok))}\n`);
  return results.every((result) => result.ok) ? 0 : 1;
}
