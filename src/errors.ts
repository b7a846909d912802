/**
 * The one error type that the command line prints without a stack trace.
 *
 * `message` says what failed and on which value; `hint` says what to do next.
 * `exitCode` follows the command's contract: 1 for a failed run, 2 for a
 * usage error or unreadable input.
 */
export class CliError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, options: { hint?: string; exitCode?: number } = {}) {
    super(message);
    this.name = "CliError";
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A usage error: a bad flag, flag value or argument (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: 2 });
    this.name = "UsageError";
  }
}

/** Format a CliError for stderr: the message, then the hint on its own line. */
export function formatCliError(error: CliError): string {
  return error.hint ? `${error.message}\n  ${error.hint}` : error.message;
}

/**
 * Turn an error of `node:util` parseArgs into a UsageError with a short
 * message: parseArgs' own messages run over several lines and suggest `--`.
 */
export function argumentError(error: unknown, hint: string): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const option = /'(?:-\w, )?(-{1,2}[\w-]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
    return new UsageError(`Unknown option ${JSON.stringify(option)}.`, hint);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    if (message.includes("does not take an argument")) {
      return new UsageError(`${option} takes no value.`, hint);
    }
    return new UsageError(`Missing value for ${option}.`, `Give it as ${option} VALUE. ${hint}`);
  }
  return new UsageError(message.split("\n")[0] ?? message, hint);
}
