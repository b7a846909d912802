import { randomBytes } from "node:crypto";
import path from "node:path";
import { CliError } from "../../errors.js";
import type { Project } from "../project.js";
import { expressionOf, statements, stringValue, type SyntaxNode } from "../python/source.js";
import type { AlembicSetup } from "./config.js";

/** One revision file: its id and the ids of the revisions it follows (two or more for a merge). */
export interface Revision {
  file: string;
  revision: string;
  downRevisions: string[];
}

/** File names that Alembic loads as revisions: `.py` files except `__init__.py` and editor backups. */
const REVISION_FILE = /^(?!\.#|__init__).*\.py$/;

/** Read a `down_revision` value: None, one id, or a tuple or list of ids. */
function readDownRevisions(file: string, node: SyntaxNode | undefined): string[] {
  if (node === undefined || node.type === "none") return [];
  const single = stringValue(node);
  if (single !== null) return [single];
  if (node.type === "tuple" || node.type === "list" || node.type === "parenthesized_expression") {
    const ids = node.namedChildren.map(stringValue);
    if (ids.every((id): id is string => id !== null)) return ids;
  }
  throw new CliError(
    `Cannot read the down_revision of ${file}: ${node.text} is not None, a string or a tuple of strings.`,
    { hint: "Add the migration by hand with `alembic revision`; nothing was written." },
  );
}

/** Read `revision` and `down_revision` from a revision file. */
async function readRevision(project: Project, file: string): Promise<Revision> {
  const module = await project.module(file);
  const values = new Map<string, SyntaxNode>();
  for (const statement of statements(module.root)) {
    const assignment = expressionOf(statement);
    const name = assignment?.type === "assignment" ? assignment.child("left")?.text : undefined;
    const right = assignment?.child("right");
    if (name && right) values.set(name, right);
  }
  const revision = stringValue(values.get("revision") ?? null);
  if (revision === null || revision === "") {
    throw new CliError(`Cannot read the revision of ${file}: it has no \`revision = "..."\` line.`, {
      hint: "Add the migration by hand with `alembic revision`; nothing was written.",
    });
  }
  return { file, revision, downRevisions: readDownRevisions(file, values.get("down_revision")) };
}

/** List the revision files of the versions folder, as Alembic loads them. */
async function revisionFiles(project: Project, setup: AlembicSetup): Promise<string[]> {
  const prefix = `${setup.versionsFolder}/`;
  return (await project.listFiles()).filter((file) => {
    if (!file.startsWith(prefix)) return false;
    const inside = file.slice(prefix.length);
    if (!setup.recursive && inside.includes("/")) return false;
    return REVISION_FILE.test(path.posix.basename(inside));
  });
}

/** Read every revision of the project's history and check that they form one. */
export async function readHistory(project: Project, setup: AlembicSetup): Promise<Revision[]> {
  const revisions: Revision[] = [];
  for (const file of await revisionFiles(project, setup)) revisions.push(await readRevision(project, file));
  const byId = new Map<string, Revision>();
  for (const item of revisions) {
    const other = byId.get(item.revision);
    if (other) {
      throw new CliError(`Revision ${item.revision} is defined twice, in ${other.file} and ${item.file}.`, {
        hint: "Give one of them a new revision id; nothing was written.",
      });
    }
    byId.set(item.revision, item);
  }
  for (const item of revisions) {
    const missing = item.downRevisions.find((id) => !byId.has(id));
    if (missing !== undefined) {
      throw new CliError(
        `${item.file} follows revision ${missing}, which no file in ${setup.versionsFolder} defines.`,
        { hint: "Restore the missing revision file, or fix down_revision; nothing was written." },
      );
    }
  }
  return revisions;
}

/** Return the revisions that no other revision follows. */
export function findHeads(revisions: readonly Revision[]): Revision[] {
  const followed = new Set(revisions.flatMap((item) => item.downRevisions));
  return revisions.filter((item) => !followed.has(item.revision));
}

/** The id of a new revision and the head it follows. */
export interface NextRevision {
  revision: string;
  parent: string;
}

/**
 * Find the one head that a new revision follows and choose the new id.
 * Numbered histories (0001, 0002) get the next number; others get twelve
 * random hex digits, as `alembic revision` makes. An empty history, or one
 * with several heads, throws a CliError with the fix.
 */
export async function nextRevision(project: Project, setup: AlembicSetup): Promise<NextRevision> {
  const revisions = await readHistory(project, setup);
  if (revisions.length === 0) {
    const state = (await project.listFiles()).some((file) => file.startsWith(`${setup.versionsFolder}/`))
      ? "has no revision files"
      : "does not exist";
    throw new CliError(
      `The Alembic versions folder ${setup.versionsFolder} ${state}, so the new migration has no revision to follow.`,
      {
        hint: 'Create the first revision for your current tables with `alembic revision --autogenerate -m "initial tables"` and commit it, then run the command again; nothing was written.',
      },
    );
  }
  const heads = findHeads(revisions);
  if (heads.length === 0) {
    throw new CliError(`The revisions in ${setup.versionsFolder} follow each other in a cycle, so there is no head.`, {
      hint: "Fix their down_revision values so that `alembic heads` lists one head; nothing was written.",
    });
  }
  if (heads.length > 1) {
    const listed = heads.map((item) => `${item.revision} (${item.file})`).join(", ");
    throw new CliError(
      `The Alembic history in ${setup.versionsFolder} has ${heads.length} heads: ${listed}. A new migration must follow exactly one.`,
      {
        hint: 'Merge them with `alembic merge heads -m "merge heads"` and commit the merge revision, then run the command again; nothing was written.',
      },
    );
  }
  const existingIds = new Set(revisions.map((item) => item.revision));
  let revision = randomBytes(6).toString("hex");
  while (existingIds.has(revision)) revision = randomBytes(6).toString("hex");
  if (revisions.every((item) => /^\d+$/.test(item.revision))) {
    const width = Math.max(...revisions.map((item) => item.revision.length));
    const next = Math.max(...revisions.map((item) => Number(item.revision))) + 1;
    revision = String(next).padStart(width, "0");
  }
  return { revision, parent: (heads[0] as Revision).revision };
}
