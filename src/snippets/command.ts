import { parseArgs } from "node:util";
import { argumentError, CliError, UsageError } from "../errors.js";
import { defaultOptions } from "../generator/options.js";
import { templateContext } from "../generator/plan.js";
import { readPackageManifest } from "../paths.js";
import { loadCatalog, type Snippet } from "./catalog.js";
import { checkStateNotNewer, findNewerState } from "./compatibility.js";
import { findUncommittedFiles } from "./git.js";
import {
  describeStatus,
  fileStatus,
  hasUpstreamChange,
  isEdited,
  loadSnippetProject,
  type SnippetProject,
} from "./project.js";
import { renderSnippet, snippetApplies } from "./render.js";
import { MissingStateError, STATE_FILE, type ManagedFile } from "./state.js";
import { unifiedDiff } from "./unified-diff.js";
import { incomingLabel, planUpdate, updateFiles, writtenUpdates, type FileUpdate } from "./update.js";
import { writeFilesAtomically } from "./write-files.js";

export interface SnippetsIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface SnippetsOptions {
  /** Project root; defaults to the current folder. */
  cwd?: string;
  /** Folder of the snippet catalog; tests point it at a modified copy. */
  snippetsRoot?: string;
}

const HELP = `Usage:
  secure-fastapi snippets list                 list the security snippets and, in a project, where each stands
  secure-fastapi snippets show ID              print a snippet's code as rendered for this project
  secure-fastapi snippets diff [ID...]         show what changed since this project received each snippet
  secure-fastapi snippets update [ID...]       bring snippets up to date, merging your edits

Options for update:
  --dry-run        show the diff of every file that would change, and write nothing
  --allow-dirty    write even when git reports uncommitted changes to those files, or there is no repository
  -h, --help       show this help

Run these in the project's root folder, next to ${STATE_FILE}. update replaces files you
never edited, merges the new version into files you did, and marks overlapping changes with
<<<<<<< yours / ======= / >>>>>>> secure-fastapi vN blocks (exit code 1).
`;

const SUBCOMMANDS = ["list", "show", "diff", "update"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

interface SnippetsArgs {
  subcommand: Subcommand | undefined;
  ids: string[];
  dryRun: boolean;
  allowDirty: boolean;
  help: boolean;
}

function parseSnippetsArgs(argv: string[]): SnippetsArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        "dry-run": { type: "boolean" },
        "allow-dirty": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw argumentError(error, "Run secure-fastapi snippets --help to see the options.");
  }
  const [first, ...ids] = parsed.positionals;
  const help = Boolean(parsed.values.help);
  if (first !== undefined && !(SUBCOMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(
      `Unknown snippets command ${JSON.stringify(first)}.`,
      `Use one of: ${SUBCOMMANDS.join(", ")}.`,
    );
  }
  const subcommand = first as Subcommand | undefined;
  const dryRun = Boolean(parsed.values["dry-run"]);
  const allowDirty = Boolean(parsed.values["allow-dirty"]);
  if ((dryRun || allowDirty) && subcommand !== "update") {
    throw new UsageError(`${dryRun ? "--dry-run" : "--allow-dirty"} applies only to snippets update.`);
  }
  if (!help && subcommand === "show" && ids.length !== 1) {
    throw new UsageError(
      "snippets show takes exactly one snippet id.",
      "Run secure-fastapi snippets list to see the ids.",
    );
  }
  if (!help && subcommand === "list" && ids.length > 0) {
    throw new UsageError("snippets list takes no arguments.");
  }
  return { subcommand, ids, dryRun, allowDirty, help };
}

function unknownSnippet(id: string): UsageError {
  return new UsageError(`Unknown snippet ${JSON.stringify(id)}.`, "Run secure-fastapi snippets list to see the ids.");
}

/** Select the state entries named by `ids`, or all of them when none is named. */
function selectEntries(project: SnippetProject, ids: readonly string[]): ManagedFile[] {
  if (ids.length === 0) return project.state.files;
  const selected: ManagedFile[] = [];
  for (const id of new Set(ids)) {
    const entries = project.state.files.filter((entry) => entry.snippet === id);
    if (entries.length === 0 && !project.catalog.some((snippet) => snippet.id === id)) throw unknownSnippet(id);
    if (entries.length === 0) {
      throw new CliError(`This project has no file from snippet ${JSON.stringify(id)}.`, {
        hint: "Run secure-fastapi snippets list to see the snippets it has; secure-fastapi add adds a feature.",
      });
    }
    selected.push(...entries);
  }
  return selected;
}

function formatTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd((widths[column] ?? 0) + 2))).join(""),
    )
    .map((line) => `  ${line.trimEnd()}\n`)
    .join("");
}

/** Read the state file if there is one; a corrupt one is still an error. */
async function readOptionalProject(
  root: string,
  version: string,
  snippetsRoot?: string,
): Promise<SnippetProject | null> {
  try {
    return await loadSnippetProject(root, version, snippetsRoot);
  } catch (error) {
    if (error instanceof MissingStateError) return null;
    throw error;
  }
}

/** Load the project for diff and update, rejecting a state that a newer release wrote. */
async function loadCurrentProject(root: string, version: string, snippetsRoot?: string): Promise<SnippetProject> {
  const project = await loadSnippetProject(root, version, snippetsRoot);
  checkStateNotNewer(project.state, project.catalog, version);
  return project;
}

/** Describe where a snippet's file is: its path in this project, in generated projects, or in the security package. */
function snippetLocation(snippet: Snippet, entry: ManagedFile | undefined): string {
  return entry?.path ?? snippet.target ?? `<package>/${snippet.module ?? ""}`;
}

async function listSnippets(io: SnippetsIo, root: string, version: string, snippetsRoot?: string): Promise<number> {
  const project = await readOptionalProject(root, version, snippetsRoot);
  const catalog = project?.catalog ?? (await loadCatalog(snippetsRoot));
  const rows = [["id", "latest", "file", project ? "this project" : "title"]];
  for (const snippet of catalog) {
    const entry = project?.state.files.find((item) => item.snippet === snippet.id);
    let last = snippet.title;
    if (project)
      last = entry ? `v${entry.version}, ${describeStatus(await fileStatus(project, entry))}` : "not in this project";
    rows.push([snippet.id, `v${snippet.version}`, snippetLocation(snippet, entry), last]);
  }
  io.stdout.write(`Security snippets (secure-fastapi snippets show ID prints one):\n${formatTable(rows)}`);
  if (!project) io.stdout.write(`No ${STATE_FILE} in ${root}, so no project is compared.\n`);
  const newerGenerator = project ? findNewerState(project.state, catalog, version).generatorVersion : undefined;
  if (newerGenerator !== undefined) {
    io.stdout.write(
      `create-secure-fastapi ${newerGenerator} last wrote ${STATE_FILE}, newer than this release (${version}); upgrade to at least ${newerGenerator} before snippets diff, snippets update or add.\n`,
    );
  }
  io.stdout.write("<package> is the folder that secure-fastapi add puts building blocks in, such as app/core.\n");
  return 0;
}

/**
 * Choose the template context to show a snippet with: the project's, when
 * the snippet belongs to it, and otherwise the defaults of a generated project.
 * Snippets for other projects use no template values.
 */
function showContext(
  snippet: Snippet,
  project: SnippetProject | null,
  version: string,
): { context: object; note?: string } {
  if (snippet.target === undefined) return { context: {} };
  const options = project?.state.project.options ?? null;
  if (project !== null && options !== null && snippetApplies(snippet, project.context))
    return { context: project.context };
  const name = options === null ? "my-api" : (project?.state.project.name ?? "my-api");
  const context = templateContext({ name, options: defaultOptions(), generatorVersion: version });
  const note = project
    ? `Note: ${snippet.id} is not part of this project; showing it as a generated project with the default options has it.\n`
    : undefined;
  return { context, note };
}

async function showSnippet(
  io: SnippetsIo,
  root: string,
  id: string,
  version: string,
  snippetsRoot?: string,
): Promise<number> {
  const project = await readOptionalProject(root, version, snippetsRoot);
  const catalog = project?.catalog ?? (await loadCatalog(snippetsRoot));
  const snippet = catalog.find((item) => item.id === id);
  if (snippet === undefined) throw unknownSnippet(id);
  const { context, note } = showContext(snippet, project, version);
  if (note) io.stderr.write(note);
  io.stdout.write(await renderSnippet(snippet, context));
  return 0;
}

function snippetLabel(entry: ManagedFile, version: number = entry.version): string {
  return `${entry.snippet} v${version}`;
}

async function diffSnippets(io: SnippetsIo, project: SnippetProject, ids: string[]): Promise<number> {
  for (const entry of selectEntries(project, ids)) {
    const status = await fileStatus(project, entry);
    const latest = status.snippet?.version ?? entry.version;
    const heading = `${entry.snippet} (${entry.path}): v${entry.version}`;
    io.stdout.write(`${heading}${hasUpstreamChange(status) ? ` → v${latest}` : ", up to date"}\n`);
    const received = `${entry.path} (${snippetLabel(entry)}, as this project received it)`;
    if (hasUpstreamChange(status)) {
      io.stdout.write(
        unifiedDiff(entry.base, status.latest as string, {
          oldLabel: received,
          newLabel: `${entry.path} (${snippetLabel(entry, latest)})`,
        }),
      );
    }
    if (status.current === null) io.stdout.write(`  ${entry.path} is missing.\n`);
    else if (isEdited(status)) {
      io.stdout.write(`  Your edits since ${snippetLabel(entry)}:\n`);
      io.stdout.write(
        unifiedDiff(entry.base, status.current, { oldLabel: received, newLabel: `${entry.path} (yours)` }),
      );
    }
  }
  return 0;
}

const UPDATE_VERBS: Record<FileUpdate["kind"], string> = {
  current: "up to date",
  replaced: "replaced",
  merged: "merged",
  conflict: "conflict",
  skipped: "skipped",
  blocked: "blocked",
};

function describeUpdate(update: FileUpdate): string[] {
  const { entry, snippet } = update.status;
  let detail = snippetLabel(entry);
  if (update.result !== undefined && snippet) detail = `${entry.snippet} v${entry.version} → v${snippet.version}`;
  if (update.conflicts > 0) detail += ` (${update.conflicts} conflict${update.conflicts === 1 ? "" : "s"})`;
  if (update.reason) detail += `: ${update.reason}`;
  return [UPDATE_VERBS[update.kind], entry.path, detail];
}

async function checkClean(root: string, paths: string[]): Promise<void> {
  const dirty = await findUncommittedFiles(root, paths);
  if (dirty.length > 0) {
    throw new CliError(`Uncommitted changes in ${dirty.join(", ")}; nothing was written.`, {
      hint: "Commit or stash them first, so the update can be reviewed and undone, or pass --allow-dirty.",
    });
  }
}

async function updateSnippets(
  io: SnippetsIo,
  project: SnippetProject,
  args: SnippetsArgs,
  version: string,
): Promise<number> {
  const updates = await planUpdate(project, selectEntries(project, args.ids));
  const blocked = updates.filter((update) => update.kind === "blocked");
  if (blocked.length > 0) {
    const lines = blocked.map((update) => `  ${update.status.entry.path}: ${update.reason ?? ""}`).join("\n");
    throw new CliError(`Update stopped; nothing was written:\n${lines}`, {
      hint: "Fix these files, or name the other snippets: secure-fastapi snippets update ID...",
    });
  }
  const written = writtenUpdates(updates);
  const conflicts = updates.filter((update) => update.kind === "conflict");
  const rows = updates.map(describeUpdate);
  if (written.length === 0) {
    io.stdout.write(`Nothing to update:\n${formatTable(rows)}`);
    return 0;
  }
  const files = updateFiles(project, updates, version);
  if (args.dryRun) {
    for (const update of written) {
      const { entry, current } = update.status;
      io.stdout.write(
        unifiedDiff(current ?? "", update.result ?? "", { oldLabel: `a/${entry.path}`, newLabel: `b/${entry.path}` }),
      );
    }
    io.stdout.write(`Dry run; nothing was written. The update would do this:\n${formatTable(rows)}`);
  } else {
    if (!args.allowDirty)
      await checkClean(
        project.root,
        files.map((file) => file.path),
      );
    await writeFilesAtomically(project.root, files);
    io.stdout.write(
      `Updated ${written.length} file${written.length === 1 ? "" : "s"} in ${project.root}:\n${formatTable(rows)}`,
    );
  }
  if (conflicts.length === 0) return 0;
  const lines = conflicts.map((update) => {
    const incoming = incomingLabel(update.status.snippet?.version ?? update.status.entry.version);
    return `  ${update.status.entry.path}: ${update.conflicts} block(s) between "<<<<<<< yours" and ">>>>>>> ${incoming}"\n`;
  });
  const intro = args.dryRun ? "The update would leave conflicts" : "Conflicts to resolve";
  io.stderr.write(`${intro} (keep what each side needs, delete the marker lines, then commit):\n${lines.join("")}`);
  return 1;
}

/** Run `secure-fastapi snippets ...`; returns the exit code. Errors reach the caller as CliError. */
export async function runSnippetsCommand(
  argv: string[],
  io: SnippetsIo,
  options: SnippetsOptions = {},
): Promise<number> {
  const args = parseSnippetsArgs(argv);
  if (args.help || args.subcommand === undefined) {
    if (args.subcommand === undefined && !args.help) {
      throw new UsageError(
        "Missing snippets command.",
        `Use one of: ${SUBCOMMANDS.join(", ")} (secure-fastapi snippets --help).`,
      );
    }
    io.stdout.write(HELP);
    return 0;
  }
  const root = options.cwd ?? process.cwd();
  const { version } = readPackageManifest();
  switch (args.subcommand) {
    case "list":
      return listSnippets(io, root, version, options.snippetsRoot);
    case "show":
      return showSnippet(io, root, args.ids[0] as string, version, options.snippetsRoot);
    case "diff":
      return diffSnippets(io, await loadCurrentProject(root, version, options.snippetsRoot), args.ids);
    case "update":
      return updateSnippets(io, await loadCurrentProject(root, version, options.snippetsRoot), args, version);
  }
}
