import { runAddCommand } from "./add/command.js";
import { CliError, formatCliError } from "./errors.js";
import { runCreateCommand, type Io } from "./generator/create.js";
import { EXIT_INTERRUPTED } from "./generator/prompts.js";
import { removeStagingFolders } from "./generator/write.js";
import { runScanCommand } from "./scanner/index.js";
import { runSnippetsCommand } from "./snippets/command.js";

/** True when CI is set to anything but an empty string, "0" or "false". */
function runningInCi(env: NodeJS.ProcessEnv): boolean {
  const value = (env.CI ?? "").trim().toLowerCase();
  return value !== "" && value !== "0" && value !== "false";
}

function defaultIo(): Io {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !runningInCi(process.env);
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, interactive };
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  if (argv[0] === "scan") {
    return runScanCommand(argv.slice(1), { stdout: io.stdout, stderr: io.stderr, env: io.env });
  }
  if (argv[0] === "snippets") {
    return runSnippetsCommand(argv.slice(1), io);
  }
  if (argv[0] === "add") {
    return runAddCommand(argv.slice(1), io);
  }
  return runCreateCommand(argv, io);
}

function onInterrupt(): void {
  process.stderr.write("\nInterrupted; files not yet in place were removed.\n");
  void removeStagingFolders().finally(() => process.exit(EXIT_INTERRUPTED));
}

/** Entry point of both bins: run a command, print errors without a stack trace. */
/** Exit quietly when the reader of stdout goes away, as in `... | head`. */
function exitOnClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
}

export async function main(argv: string[]): Promise<number> {
  process.once("SIGINT", onInterrupt);
  process.stdout.on("error", exitOnClosedPipe);
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
