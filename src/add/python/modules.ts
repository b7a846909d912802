import path from "node:path";
import type { Project } from "../project.js";
import { fromImportOf } from "./imports.js";
import type { PythonModule } from "./source.js";

/** A parsed module of the project with its dotted name. */
export interface NamedModule {
  module: PythonModule;
  moduleName: string;
}

/** Folders that Python imports the project's top-level packages from. */
const IMPORT_ROOTS = ["", "src"];

/** Find the file of a project module by its dotted name; null for modules outside the project. */
export async function findModuleFile(project: Project, moduleName: string): Promise<string | null> {
  const relative = moduleName.split(".").join("/");
  for (const root of IMPORT_ROOTS) {
    const base = root === "" ? relative : `${root}/${relative}`;
    for (const candidate of [`${base}.py`, `${base}/__init__.py`]) {
      if (await project.exists(candidate)) return candidate;
    }
  }
  return null;
}

/**
 * Turn a module name as an import statement writes it into an absolute one.
 * `written` may start with dots (`.db`, `..core.config`), which count from
 * the package of `importer`, the module that contains the import.
 */
export function absoluteModuleName(written: string, importer: NamedModule): string {
  const dots = /^\.*/.exec(written)?.[0].length ?? 0;
  if (dots === 0) return written;
  const isPackage = path.posix.basename(importer.module.path) === "__init__.py";
  const parts = importer.moduleName.split(".");
  const packageParts = isPackage ? parts : parts.slice(0, -1);
  const base = packageParts.slice(0, packageParts.length - (dots - 1));
  const rest = written.slice(dots);
  return [...base, ...(rest === "" ? [] : rest.split("."))].join(".");
}

/**
 * Resolve a local name of a module to the dotted name of what it refers to:
 * `app.db.Base` for `Base` after `from .db import Base` in app/models.py,
 * or the module's own `app.models.Base` for a name it does not import.
 */
export function qualifiedName(named: NamedModule, local: string): string {
  const source = fromImportOf(named.module, local);
  if (source === null) return `${named.moduleName}.${local}`;
  return `${absoluteModuleName(source.module, named)}.${source.name}`;
}
