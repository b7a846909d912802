import { parseArgs, type ParseArgsConfig } from "node:util";
import { argumentError, UsageError } from "../errors.js";
import { OPTION_SPECS, parseOptionValue, type ProjectOptions } from "./options.js";
import { rejectControlCharacters } from "./validate.js";

/** Values parsed from the command line, before prompts fill the gaps. */
export interface CreateArgs {
  directory: string | undefined;
  name: string | undefined;
  options: Partial<ProjectOptions>;
  yes: boolean;
  force: boolean;
  dryRun: boolean;
  git: boolean;
  install: boolean | undefined;
  help: boolean;
  version: boolean;
}

const FIXED_FLAGS = {
  name: { type: "string" },
  yes: { type: "boolean", short: "y" },
  force: { type: "boolean" },
  "dry-run": { type: "boolean" },
  "no-git": { type: "boolean" },
  install: { type: "boolean" },
  "no-install": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const satisfies ParseArgsConfig["options"];

function flagConfig(): NonNullable<ParseArgsConfig["options"]> {
  const config: NonNullable<ParseArgsConfig["options"]> = { ...FIXED_FLAGS };
  for (const spec of OPTION_SPECS) {
    if (spec.kind === "switch") {
      config[spec.flag] = { type: "boolean" };
      config[`no-${spec.flag}`] = { type: "boolean" };
    } else {
      config[spec.flag] = { type: "string" };
    }
  }
  return config;
}

function parseRaw(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: flagConfig(), allowPositionals: true, strict: true });
  } catch (error) {
    throw argumentError(error, "Run with --help to see the options.");
  }
}

/** Map --install and --no-install to a choice; undefined when neither was given. */
function installChoice(install: boolean, noInstall: boolean): boolean | undefined {
  if (install) return true;
  if (noInstall) return false;
  return undefined;
}

/** Parse the create command's arguments; every flag value is validated here. */
export function parseCreateArgs(argv: string[]): CreateArgs {
  const { values, positionals } = parseRaw(argv);
  if (positionals.length > 1) {
    throw new UsageError(
      `Unexpected argument ${JSON.stringify(positionals[1])}: only one project directory can be given.`,
      "Quote a directory name that contains spaces.",
    );
  }
  const directory = positionals[0];
  if (directory !== undefined) {
    rejectControlCharacters("directory", directory);
  }
  if (values.install && values["no-install"]) {
    throw new UsageError("--install and --no-install contradict each other.", "Pass only one of them.");
  }
  const options: Partial<ProjectOptions> = {};
  for (const spec of OPTION_SPECS) {
    const raw = values[spec.flag];
    if (spec.kind === "switch") {
      const off = values[`no-${spec.flag}`] === true;
      if (raw === true && off) {
        throw new UsageError(`--${spec.flag} and --no-${spec.flag} contradict each other.`, "Pass only one of them.");
      }
      if (raw === true || off) Object.assign(options, { [spec.key]: raw === true });
    } else if (typeof raw === "string") {
      Object.assign(options, { [spec.key]: parseOptionValue(spec, raw) });
    }
  }
  return {
    directory,
    name: values.name as string | undefined,
    options,
    yes: Boolean(values.yes),
    force: Boolean(values.force),
    dryRun: Boolean(values["dry-run"]),
    git: !values["no-git"],
    install: installChoice(values.install === true, values["no-install"] === true),
    help: Boolean(values.help),
    version: Boolean(values.version),
  };
}
