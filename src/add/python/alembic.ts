import { randomBytes } from "node:crypto";
import { CliError } from "../../errors.js";
import type { Project } from "../project.js";
import { expressionOf, statements } from "./source.js";

/** Folder of the migrations in generated projects. */
export const VERSIONS_FOLDER = "alembic/versions";

interface Revision {
  file: string;
  revision: string;
  downRevision: string | null;
}

function stringValue(text: string): string | null {
  const match = /^(['"])(.*)\1$/.exec(text);
  return match ? (match[2] ?? null) : null;
}

/** Read `revision` and `down_revision` from a migration module. */
async function readRevision(project: Project, file: string): Promise<Revision> {
  const module = await project.module(file);
  const values = new Map<string, string>();
  for (const statement of statements(module.root)) {
    const assignment = expressionOf(statement);
    const name = assignment?.type === "assignment" ? assignment.child("left")?.text : undefined;
    const right = assignment?.child("right");
    if (name && right) values.set(name, right.text);
  }
  const revision = stringValue(values.get("revision") ?? "");
  if (revision === null) {
    throw new CliError(`Cannot read the revision of ${file}: it has no \`revision = "..."\` line.`, {
      hint: "Add the migration by hand; nothing was written.",
    });
  }
  const down = values.get("down_revision") ?? "None";
  return { file, revision, downRevision: down === "None" ? null : stringValue(down) };
}

export interface NextRevision {
  /** The new migration's revision id. */
  revision: string;
  /** The current head, which the new migration follows; null for the first migration. */
  parent: string | null;
}

/**
 * Work out the id of a new migration and the head it follows. Numbered
 * histories (0001, 0002) get the next number; others get a random id as
 * `alembic revision` makes. More than one head needs a merge first.
 */
export async function nextRevision(project: Project): Promise<NextRevision> {
  const files = (await project.listFiles()).filter(
    (file) => file.startsWith(`${VERSIONS_FOLDER}/`) && file.endsWith(".py"),
  );
  const revisions = await Promise.all(files.map((file) => readRevision(project, file)));
  const parents = new Set(revisions.map((item) => item.downRevision));
  const heads = revisions.filter((item) => !parents.has(item.revision));
  if (heads.length > 1) {
    throw new CliError(`The migrations have ${heads.length} heads (${heads.map((item) => item.file).join(", ")}).`, {
      hint: "Merge them with `alembic merge heads` first; nothing was written.",
    });
  }
  const numbered = revisions.length > 0 && revisions.every((item) => /^\d+$/.test(item.revision));
  let revision = randomBytes(6).toString("hex");
  if (numbered) {
    const width = Math.max(...revisions.map((item) => item.revision.length));
    const next = Math.max(...revisions.map((item) => Number(item.revision))) + 1;
    revision = String(next).padStart(width, "0");
  }
  return { revision, parent: heads[0]?.revision ?? null };
}
