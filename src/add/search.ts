import type { Project } from "./project.js";
import { isTestPath } from "./project.js";

/**
 * Find the first `path:line` of a non-test Python file whose code (comments
 * aside) matches `pattern`; null when none does. `add` uses it to notice that
 * a project already has its own version of a feature.
 */
export async function findInCode(project: Project, pattern: RegExp): Promise<string | null> {
  for (const file of await project.pythonFiles()) {
    if (isTestPath(file)) continue;
    const text = (await project.read(file)) ?? "";
    const lines = text.split("\n");
    for (let index = 0; index < lines.length; index++) {
      const code = (lines[index] ?? "").replace(/#.*/, "");
      if (pattern.test(code)) return `${file}:${index + 1}`;
    }
  }
  return null;
}
