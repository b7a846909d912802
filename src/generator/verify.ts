import { CliError } from "../errors.js";
import { scanPaths } from "../scanner/index.js";

/**
 * Scan a staged project with the bundled scanner. Generated code must be
 * silent under our own rules, so any finding or parse error aborts the run
 * before a file reaches the target directory.
 */
export async function verifyGeneratedProject(root: string): Promise<void> {
  const report = await scanPaths([root]);
  const problems = [
    ...report.findings.map((item) => `${item.path}:${item.line}:${item.column}: ${item.ruleId} ${item.message}`),
    ...report.errors.map((item) => `${item.path}: ${item.message}`),
  ];
  if (problems.length > 0) {
    throw new CliError(
      `The generated project failed its security scan; nothing was written.\n${problems.join("\n")}`,
      { hint: "This is a bug in create-secure-fastapi: please report it with the options you chose." },
    );
  }
}
