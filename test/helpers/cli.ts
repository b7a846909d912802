import { execa } from "execa";
import path from "node:path";

export const BIN = path.resolve("bin/create-secure-fastapi.js");

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Run the built command line as a user would, without a terminal. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const result = await execa("node", [BIN, ...args], {
    cwd: options.cwd,
    env: { CI: "true", NO_COLOR: "1", ...options.env },
    reject: false,
    stdin: "ignore",
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}
