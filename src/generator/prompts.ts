import * as clack from "@clack/prompts";
import path from "node:path";
import { CliError } from "../errors.js";
import { OPTION_SPECS, type OptionSpec, type ProjectOptions } from "./options.js";
import { normalizeProjectName, rejectControlCharacters } from "./validate.js";

/** Exit code for an interrupt (Ctrl-C), as shells report SIGINT. */
export const EXIT_INTERRUPTED = 130;

const DEFAULT_DIRECTORY = "my-api";

/** Thrown when the user cancels a prompt; nothing has been written yet. */
export class PromptCancelledError extends CliError {
  constructor(interrupted: boolean) {
    super("Cancelled; no files were written.", { exitCode: interrupted ? EXIT_INTERRUPTED : 1 });
    this.name = "PromptCancelledError";
  }
}

/**
 * Clack reports Escape and Ctrl-C alike as a cancel. Watching stdin for the
 * ETX byte (Ctrl-C in raw mode) distinguishes the two for the exit code.
 */
function watchForInterrupt(): { interrupted: () => boolean; stop: () => void } {
  let seen = false;
  const onData = (chunk: Buffer | string) => {
    if (chunk.includes("\u0003")) seen = true;
  };
  process.stdin.on("data", onData);
  return {
    interrupted: () => seen,
    stop: () => {
      process.stdin.off("data", onData);
      process.stdin.pause();
    },
  };
}

function validationMessage(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return error instanceof CliError ? error.message : String(error);
  }
}

type Answer<T> = T | symbol;

function askOption(spec: OptionSpec): Promise<Answer<unknown>> {
  if (spec.kind === "switch") {
    return clack.confirm({ message: spec.question, initialValue: spec.defaultValue });
  }
  if (spec.kind === "choice") {
    return clack.select({
      message: spec.question,
      initialValue: spec.defaultValue,
      options: spec.choices.map((choice) => ({ value: choice.value, label: choice.label, hint: choice.hint })),
    });
  }
  return clack.text({
    message: spec.question,
    placeholder: spec.placeholder,
    defaultValue: "",
    validate: (value) => validationMessage(() => spec.parse(value ?? "")),
  });
}

export interface PromptAnswers {
  directory: string;
  name: string;
  options: ProjectOptions;
}

interface PromptInput {
  directory: string | undefined;
  name: string | undefined;
  options: Partial<ProjectOptions>;
}

/** Ask for everything the flags left open, checking for a cancel after each prompt. */
export async function promptForMissing(input: PromptInput): Promise<PromptAnswers> {
  const watcher = watchForInterrupt();
  const check = <T>(answer: Answer<T>): T => {
    if (clack.isCancel(answer)) throw new PromptCancelledError(watcher.interrupted());
    return answer as T;
  };
  try {
    clack.intro("create-secure-fastapi");
    const directory =
      input.directory ??
      check<string>(
        await clack.text({
          message: "Project directory",
          placeholder: DEFAULT_DIRECTORY,
          defaultValue: DEFAULT_DIRECTORY,
          validate: (value) => validationMessage(() => rejectControlCharacters("directory", value ?? "")),
        }),
      );
    const name =
      input.name ??
      check<string>(
        await clack.text({
          message: "Project name",
          initialValue: path.basename(path.resolve(directory)),
          validate: (value) => validationMessage(() => normalizeProjectName(value ?? "")),
        }),
      );
    const options: Partial<ProjectOptions> = { ...input.options };
    for (const spec of OPTION_SPECS.filter((item) => options[item.key] === undefined)) {
      const answer = check<unknown>(await askOption(spec));
      Object.assign(options, { [spec.key]: spec.kind === "list" ? spec.parse(String(answer)) : answer });
    }
    return { directory, name, options: options as ProjectOptions };
  } finally {
    watcher.stop();
  }
}
