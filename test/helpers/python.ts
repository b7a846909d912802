import { execa } from "execa";

/** The interpreter for tests that read generated text back with Python's own parsers. */
export const SYSTEM_PYTHON = process.env.PYTHON ?? "python3";

/**
 * Run a Python program that reads JSON on stdin and prints JSON on stdout.
 * Used to check generated literals with the parsers that will read them.
 */
export async function runPythonJson(program: string, input: unknown, python = SYSTEM_PYTHON): Promise<unknown> {
  const result = await execa(python, ["-c", program], { input: JSON.stringify(input) });
  return JSON.parse(result.stdout) as unknown;
}
