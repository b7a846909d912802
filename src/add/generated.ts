import { CliError } from "../errors.js";
import { quoteEnvValue } from "../generator/escape.js";
import type { ProjectOptions } from "../generator/options.js";
import { generateSecretKey, planProject } from "../generator/plan.js";
import type { PlannedFile } from "../generator/render.js";
import type { Snippet } from "../snippets/catalog.js";
import { mergeText } from "../snippets/git.js";
import { STATE_FILE, type ManagedFile } from "../snippets/state.js";
import { unifiedDiff } from "../snippets/unified-diff.js";
import { emptyPlan, type AddPlan } from "./plan.js";
import type { Project } from "./project.js";
import { mergeModuleAdditions } from "./python/merge.js";

/** Files of a generated project that an option change never rewrites. */
const UNMANAGED = new Set([".env", STATE_FILE]);

export interface GeneratedContext {
  project: Project;
  catalog: readonly Snippet[];
  generatorVersion: string;
  snippetsRoot?: string;
}

async function render(context: GeneratedContext, options: ProjectOptions): Promise<Map<string, PlannedFile>> {
  const name = context.project.state?.project.name ?? "";
  const files = await planProject({ name, options, generatorVersion: context.generatorVersion }, "unused", {
    snippetsRoot: context.snippetsRoot,
  });
  return new Map(files.filter((file) => !UNMANAGED.has(file.path)).map((file) => [file.path, file]));
}

/** Read the options a generated project records; throws for a project that `add` set up. */
export function generatedOptions(project: Project): ProjectOptions {
  const options = project.state?.project.options;
  if (!options) throw new Error("not a generated project");
  return options;
}

/** Refuse to add migrations beside ones the user wrote, whose order cannot be known. */
async function checkMigrations(
  project: Project,
  previous: Map<string, PlannedFile>,
  next: Map<string, PlannedFile>,
): Promise<void> {
  const added = [...next.keys()].filter(
    (file) => file.startsWith("alembic/versions/") && file.endsWith(".py") && !previous.has(file),
  );
  if (added.length === 0) return;
  const existing = (await project.listFiles()).filter(
    (file) => file.startsWith("alembic/versions/") && file.endsWith(".py"),
  );
  const foreign = existing.filter((file) => !next.has(file));
  if (foreign.length > 0) {
    const files = added.join(", ");
    throw new CliError(
      `alembic/versions already has migrations of its own (${foreign.join(", ")}), and ${files} would start a second history.`,
      {
        hint:
          `Move your revisions out of alembic/versions, run this command again and move them back. ` +
          `Then set down_revision in ${files} to your latest revision (alembic heads shows it), and change its revision id ` +
          `if your history already uses it, so that alembic heads lists one head. Nothing was written.`,
      },
    );
  }
}

/**
 * Bring one file from the render with the old options to the render with
 * the new options, keeping the user's edits by a three-way merge.
 */
async function changeFile(
  plan: AddPlan,
  file: string,
  base: string | undefined,
  next: string,
  entry: ManagedFile | undefined,
): Promise<void> {
  const { project } = plan;
  const current = await project.read(file);
  if (base === undefined || current === null) {
    if (current !== null && current !== next) {
      throw new CliError(`Cannot add ${file}: the file exists with other content.`, {
        hint: "Move it aside, then run the command again; nothing was written.",
      });
    }
    if (current === null && base !== undefined) {
      plan.notes.push(
        `${file} was deleted, so it was not updated; \`secure-fastapi snippets show\` or a new project shows its new content.`,
      );
      return;
    }
    if (current === null) project.stage(file, next);
    return;
  }
  if (next === base) return;
  if (current === base) {
    project.stage(file, next);
    return;
  }
  const merged = await mergeText(current, base, next, {
    current: "yours",
    base: "generated",
    incoming: "secure-fastapi",
  });
  if (merged.conflicts === 0) {
    project.stage(file, merged.text);
    if (entry) plan.notes.push(`${file}: merged the change into your edits; review it.`);
    return;
  }
  // Both sides often add lines at the same place, such as an include_router call after the last one.
  const structural = file.endsWith(".py")
    ? await mergeModuleAdditions(file, current, base, next, await project.firstPartyNames())
    : null;
  if (structural !== null) {
    project.stage(file, structural);
    plan.notes.push(`${file}: added the new imports and statements after your own; review it.`);
    return;
  }
  plan.conflicts.push({ file, diff: unifiedDiff(base, next, { oldLabel: `a/${file}`, newLabel: `b/${file}` }) });
}

/** Append a fresh SECRET_KEY to .env when accounts need one and it has none. */
async function addSecretKey(plan: AddPlan): Promise<void> {
  const env = await plan.project.read(".env");
  if (env === null) {
    plan.notes.push("Set SECRET_KEY in the environment or in .env (see .env.example): the service needs it now.");
    return;
  }
  if (/^SECRET_KEY=/m.test(env)) return;
  const separator = env === "" || env.endsWith("\n") ? "" : "\n";
  plan.project.stage(".env", `${env}${separator}SECRET_KEY=${quoteEnvValue(generateSecretKey())}\n`);
  plan.secretFiles.add(".env");
}

/**
 * Plan switching a generated project to other options: every generated file
 * whose render differs between the old and the new options moves to the new
 * render, keeping local edits by a three-way merge. A snippet file's base is
 * the text the project received, so such a file also gets the snippet's
 * latest version. Other files' base is their render with the old options.
 */
export async function planOptionChange(context: GeneratedContext, changes: Partial<ProjectOptions>): Promise<AddPlan> {
  const { project } = context;
  const options = generatedOptions(project);
  const next = { ...options, ...changes };
  const plan = emptyPlan(project);
  const previousFiles = await render(context, options);
  const nextFiles = await render(context, next);
  await checkMigrations(project, previousFiles, nextFiles);
  const entries = new Map((project.state?.files ?? []).map((entry) => [entry.path, entry]));
  const changed = [...nextFiles.values()].filter((file) => previousFiles.get(file.path)?.content !== file.content);
  for (const planned of changed) {
    const entry = entries.get(planned.path);
    const base = entry?.base ?? previousFiles.get(planned.path)?.content;
    await changeFile(plan, planned.path, base, planned.content, entry);
  }
  const changedPaths = new Set(changed.map((file) => file.path));
  for (const snippet of context.catalog) {
    if (snippet.target === undefined || !changedPaths.has(snippet.target)) continue;
    const planned = nextFiles.get(snippet.target) as PlannedFile;
    const write = { path: snippet.target, snippet: snippet.id, version: snippet.version, content: planned.content };
    if (entries.has(snippet.target)) (plan.rebased ??= []).push(write);
    else plan.managed.push(write);
  }
  if (changes.auth === "jwt") await addSecretKey(plan);
  plan.options = next;
  return plan;
}
