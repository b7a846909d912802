import path from "node:path";
import { CliError } from "../../errors.js";
import { quoteString } from "../../generator/escape.js";
import type { Project } from "../project.js";
import { MAX_LINE_LENGTH } from "../python/format.js";
import type { ColumnDefinition, IndexDefinition, TableDefinition } from "../python/tables.js";
import type { AlembicSetup } from "./config.js";
import { nextRevision, type NextRevision } from "./history.js";

const INDENT = "    ";

/**
 * Lay out a call as a statement or list item at `indent`: on one line when
 * it fits in ruff's 88 columns, else one argument per line with a trailing
 * comma, which ruff format keeps as it is. `forceSplit` always splits.
 */
function layoutCall(
  callee: string,
  args: readonly string[],
  indent: string,
  suffix: string,
  forceSplit = false,
): string[] {
  const oneLine = `${indent}${callee}(${args.join(", ")})${suffix}`;
  if (!forceSplit && oneLine.length <= MAX_LINE_LENGTH) return [oneLine];
  return [`${indent}${callee}(`, ...args.map((arg) => `${indent}${INDENT}${arg},`), `${indent})${suffix}`];
}

function columnArguments(column: ColumnDefinition): string[] {
  const args = [quoteString(column.name), column.type];
  if (column.foreignKey) args.push(column.foreignKey);
  if (column.primaryKey) args.push("primary_key=True");
  else args.push(`nullable=${column.nullable ? "True" : "False"}`);
  if (column.unique) args.push("unique=True");
  return args;
}

function createIndex(table: string, index: IndexDefinition): string[] {
  const args = [quoteString(index.name), quoteString(table), `[${index.columns.map(quoteString).join(", ")}]`];
  if (index.unique) args.push("unique=True");
  return layoutCall("op.create_index", args, INDENT, "", true);
}

function dropIndex(table: string, index: IndexDefinition): string[] {
  return layoutCall("op.drop_index", [quoteString(index.name), `table_name=${quoteString(table)}`], INDENT, "", true);
}

/** Render a revision file that creates one table with its indexes, and drops them on downgrade. */
export function renderCreateTableRevision(table: TableDefinition, ids: NextRevision): string {
  const columns = table.columns.flatMap((column) =>
    layoutCall("sa.Column", columnArguments(column), INDENT.repeat(2), ","),
  );
  const upgrade = [
    `${INDENT}op.create_table(`,
    `${INDENT.repeat(2)}${quoteString(table.name)},`,
    ...columns,
    `${INDENT})`,
    ...table.indexes.flatMap((index) => createIndex(table.name, index)),
  ];
  const downgrade = [
    ...[...table.indexes].reverse().flatMap((index) => dropIndex(table.name, index)),
    `${INDENT}op.drop_table(${quoteString(table.name)})`,
  ];
  return [
    `"""Create the ${table.name} table.`,
    "",
    `Revision ID: ${ids.revision}`,
    `Revises: ${ids.parent}`,
    '"""',
    "",
    "from collections.abc import Sequence",
    "",
    "import sqlalchemy as sa",
    "from alembic import op",
    "",
    `revision: str = ${quoteString(ids.revision)}`,
    `down_revision: str | None = ${quoteString(ids.parent)}`,
    "branch_labels: str | Sequence[str] | None = None",
    "depends_on: str | Sequence[str] | None = None",
    "",
    "",
    "def upgrade() -> None:",
    ...upgrade,
    "",
    "",
    "def downgrade() -> None:",
    ...downgrade,
    "",
  ].join("\n");
}

/** Turn a message into a file name slug as Alembic does: its words joined by `_`, lower case, truncated. */
export function slugify(message: string, maxLength: number): string {
  const slug = (message.match(/\w+/g) ?? []).join("_").toLowerCase();
  if (slug.length <= maxLength) return slug;
  return `${slug.slice(0, maxLength).replace(/_[^_]*$/, "")}_`;
}

/**
 * Format Alembic's `file_template` (Python %-formatting with names, such as
 * `%(rev)s_%(slug)s` or `%(year)d_%(month).2d_%(rev)s`).
 */
export function formatFileTemplate(template: string, values: Record<string, string | number>): string {
  const conversion = /%(?:%|\((\w+)\)([-#0 +]*)(\d*)(?:\.(\d+))?([sdir]))/g;
  return template.replace(
    conversion,
    (match, name?: string, flags = "", width = "", precision?: string, kind?: string) => {
      if (match === "%%") return "%";
      const value = values[name ?? ""];
      if (value === undefined) {
        throw new CliError(
          `Cannot name the revision file: file_template uses %(${name})s, which Alembic does not define.`,
          { hint: "Fix file_template in the Alembic configuration; nothing was written." },
        );
      }
      let text: string;
      if (kind === "d" || kind === "i") {
        const digits = String(Math.trunc(Number(value)));
        text = precision === undefined ? digits : digits.padStart(Number(precision), "0");
      } else {
        text = precision === undefined ? String(value) : String(value).slice(0, Number(precision));
      }
      const size = Number(width || 0);
      if (flags.includes("-")) return text.padEnd(size);
      return text.padStart(size, flags.includes("0") && kind !== "s" ? "0" : " ");
    },
  );
}

/** Name a new revision file as `alembic revision -m MESSAGE` would, relative to the project root. */
export function revisionPath(setup: AlembicSetup, revision: string, message: string, now = new Date()): string {
  // NOTE: Alembic uses local time unless its `timezone` option is set, which is not read here.
  const name = formatFileTemplate(setup.fileTemplate, {
    rev: revision,
    slug: slugify(message, setup.truncateSlugLength),
    epoch: Math.floor(now.getTime() / 1000),
    year: now.getFullYear(),
    month: now.getMonth() + 1,
    day: now.getDate(),
    hour: now.getHours(),
    minute: now.getMinutes(),
    second: now.getSeconds(),
  });
  return path.posix.join(setup.versionsFolder, `${name}.py`);
}

/**
 * Stage a revision that creates `table` after the current head of the
 * project's history, and return its path. The checks of nextRevision
 * apply: one head, at least one revision.
 */
export async function addCreateTableRevision(
  project: Project,
  setup: AlembicSetup,
  table: TableDefinition,
): Promise<string> {
  const ids = await nextRevision(project, setup);
  const file = revisionPath(setup, ids.revision, `create ${table.name}`);
  if (await project.exists(file)) {
    throw new CliError(`Cannot write the migration ${file}: the file exists.`, {
      hint: "Move it aside, then run the command again; nothing was written.",
    });
  }
  project.stage(file, renderCreateTableRevision(table, ids));
  return file;
}
