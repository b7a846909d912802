import { execa } from "execa";
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { CliError, formatCliError } from "../../src/errors.js";
import { defaultOptions, type ProjectOptions } from "../../src/generator/options.js";
import { planProject } from "../../src/generator/plan.js";
import { writeProject } from "../../src/generator/write.js";
import { SNIPPETS_ROOT } from "../../src/paths.js";

/** The generator version that test projects record; any fixed value works. */
export const TEST_GENERATOR_VERSION = "0.1.0";

/** Write a project with the given options straight from the plan (no scan, no git). */
export async function generateProject(
  parent: string,
  name: string,
  options: Partial<ProjectOptions> = {},
  snippetsRoot?: string,
): Promise<string> {
  const root = path.join(parent, name);
  const spec = { name, options: { ...defaultOptions(), ...options }, generatorVersion: TEST_GENERATOR_VERSION };
  const files = await planProject(spec, "x".repeat(64), { snippetsRoot });
  await writeProject(root, files, { force: false });
  return root;
}

const GIT_IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"];

/** Put the project under git with everything committed, so it has a clean tree. */
export async function commitAll(root: string, message = "Initial commit"): Promise<void> {
  await execa("git", ["init", "--quiet"], { cwd: root });
  await execa("git", ["add", "--all"], { cwd: root });
  await execa("git", [...GIT_IDENTITY, "commit", "--quiet", "--no-verify", "-m", message], { cwd: root });
}

export async function gitStatus(root: string): Promise<string> {
  const result = await execa("git", ["status", "--porcelain"], { cwd: root });
  return result.stdout;
}

/** Copy the snippet catalog, so a test can publish a newer version of a snippet. */
export async function copyCatalog(destination: string): Promise<string> {
  await cp(SNIPPETS_ROOT, destination, { recursive: true });
  return destination;
}

/**
 * Publish a newer version of one snippet in a copied catalog: replace `from`
 * with `to` in its source and raise its version by one.
 */
export async function publishSnippetChange(catalog: string, id: string, from: string, to: string): Promise<void> {
  const folder = path.join(catalog, id);
  const manifestFile = path.join(folder, "snippet.json");
  const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as { version: number; source: string };
  const sourceFile = path.join(folder, manifest.source);
  const source = await readFile(sourceFile, "utf8");
  if (!source.includes(from)) throw new Error(`${id} does not contain ${JSON.stringify(from)}`);
  await writeFile(sourceFile, source.replace(from, to));
  manifest.version += 1;
  await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Streams that collect what a command writes. */
export function captureIo(): {
  io: { stdout: Writable; stderr: Writable };
  stdout: () => string;
  stderr: () => string;
} {
  const chunks = { stdout: [] as string[], stderr: [] as string[] };
  const sink = (target: string[]) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        target.push(chunk.toString());
        callback();
      },
    });
  return {
    io: { stdout: sink(chunks.stdout), stderr: sink(chunks.stderr) },
    stdout: () => chunks.stdout.join(""),
    stderr: () => chunks.stderr.join(""),
  };
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Run a command in-process as the command line does: a CliError becomes stderr text and its exit code. */
export async function runInProcess(
  command: (io: { stdout: Writable; stderr: Writable }) => Promise<number>,
): Promise<CommandResult> {
  const capture = captureIo();
  let exitCode: number;
  try {
    exitCode = await command(capture.io);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    capture.io.stderr.write(`Error: ${formatCliError(error)}\n`);
    exitCode = error.exitCode;
  }
  return { exitCode, stdout: capture.stdout(), stderr: capture.stderr() };
}
