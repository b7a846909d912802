import { CliError, formatCliError } from "./errors.js";
import { runCreateCommand, type Io } from "./generator/create.js";
import { EXIT_INTERRUPTED } from "./generator/prompts.js";
import { removeStagingFolders } from "./generator/write.js";
import { runScanCommand } from "./scanner/index.js";

function defaultIo(): Io {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, interactive };
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  if (argv[0] === "scan") {
    return runScanCommand(argv.slice(1), { stdout: io.stdout, stderr: io.stderr, env: io.env });
  }
  return runCreateCommand(argv, io);
}

function onInterrupt(): void {
  void removeStagingFolders().finally(() => process.exit(EXIT_INTERRUPTED));
}

/** Entry point of both bins: run a command, print errors without a stack trace. */
export async function main(argv: string[]): Promise<number> {
  process.once("SIGINT", onInterrupt);
  const io = defaultIo();
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`Error: ${formatCliError(error)}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`Error: ${message}\nThis is a bug in create-secure-fastapi; please report it.\n`);
    return 1;
  }
}
