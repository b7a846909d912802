import type { SyntaxNode } from "../parse/syntax.js";
import { argumentAt, type FileContext } from "../analysis/context.js";
import { callsUnder, sourceParameter, type CallEffect, type FlowOptions } from "../analysis/flow.js";
import { endsWithName } from "../analysis/names.js";
import type { Route } from "../analysis/routes.js";
import type { Rule } from "../types.js";
import { calleeNames, excerpt, isStringParameter, metadataHasKeyword } from "./common.js";

/** Calls that open, send or delete the file named by their first argument. */
const FILE_SINKS: readonly { name: string; argument: string }[] = [
  { name: "FileResponse", argument: "path" },
  { name: "open", argument: "file" },
  { name: "aiofiles.open", argument: "file" },
  { name: "os.remove", argument: "path" },
  { name: "os.unlink", argument: "path" },
  { name: "os.open", argument: "path" },
  { name: "shutil.rmtree", argument: "path" },
  { name: "send_file", argument: "path_or_file" },
];

/** `Path` methods that read, write or delete the file. */
const PATH_METHODS = new Set([
  "read_text",
  "read_bytes",
  "write_text",
  "write_bytes",
  "open",
  "unlink",
  "rmdir",
]);

/** Calls whose result keeps the text of their arguments. */
const PATH_BUILDERS = new Set([
  "str",
  "os.path.join",
  "posixpath.join",
  "Path",
  "pathlib.Path",
  "PurePath",
  "pathlib.PurePath",
  "os.fspath",
  "os.path.normpath",
  "os.path.abspath",
  "os.path.realpath",
  "os.path.expanduser",
  "posixpath.normpath",
]);

/** Calls that make a path absolute or canonical, so that a prefix test on the result can prove containment. */
const NORMALIZERS = /(^|\.)(realpath|abspath|normpath|resolve)$/;

/** Calls that reduce a name to a safe final component. */
const SANITIZERS = new Set(["os.path.basename", "secure_filename", "werkzeug.utils.secure_filename"]);

/** Calls that prove a resolved path stays inside a folder. */
const CONTAINMENT_CHECKS = /(^|\.)(is_relative_to|relative_to|commonpath|safe_join)$/;

/** True when the handler proves containment: a check call, or `startswith` on a normalized path. */
function checksContainment(body: SyntaxNode | null): boolean {
  if (calleeNames(body).some((name) => CONTAINMENT_CHECKS.test(name))) return true;
  const called = calledNames(body);
  return called.has("startswith") && [...called].some((name) => NORMALIZERS.test(name));
}

/** Collect the last name of every callee under `node`, such as `resolve` for `(root / name).resolve()`. */
function calledNames(node: SyntaxNode | null): Set<string> {
  const names = new Set<string>();
  for (const call of callsUnder(node)) {
    const callee = call.child("function");
    const name = callee?.type === "attribute" ? callee.child("attribute")?.text : callee?.text;
    if (name) names.add(name);
  }
  return names;
}

function pathCallEffect(file: FileContext, call: SyntaxNode): CallEffect {
  const qualified = file.calleeName(call);
  if (qualified && SANITIZERS.has(qualified)) return "stop";
  if (endsWithName(qualified, "secure_filename")) return "stop";
  if (qualified && PATH_BUILDERS.has(qualified)) return "propagate";
  const callee = call.child("function");
  const method = callee?.type === "attribute" ? callee.child("attribute")?.text : null;
  const keepsText = ["format", "joinpath", "strip", "lower", "replace", "with_suffix", "resolve", "absolute", "expanduser"];
  return method && keepsText.includes(method) ? "propagate" : "stop";
}

const PATH_FLOW: FlowOptions = {
  callEffect: pathCallEffect,
  cleanAttributes: new Set(["name", "stem", "suffix"]),
};

/**
 * SFA002. A file path built from a path, query or form value lets `../` or an
 * absolute path escape the intended folder. Flags `FileResponse`, `open`,
 * `aiofiles.open`, `os.remove` and `Path(...).read_*()`-style calls in a
 * route handler whose path comes from a `str` parameter or an
 * `UploadFile.filename`. Does not flag values declared with
 * `pattern=`/`regex=`, names reduced by `os.path.basename`, `secure_filename`
 * or `.name`, or handlers that check containment with `is_relative_to`,
 * `relative_to`, `commonpath` or `safe_join`. A `startswith` test counts as
 * a check when the handler also calls `realpath`, `abspath`, `normpath` or
 * `resolve()`. Normalizing alone is no check, because a normalized `../` or
 * absolute path still points outside the folder. Paths built in other functions are not followed.
 */
export const filePathRule: Rule = {
  id: "SFA002",
  title: "File path built from request input",
  cwe: "CWE-22",
  severity: "high",
  description:
    "A file path built from a request value lets `../` sequences or absolute paths read, overwrite or delete files outside the intended folder.",
  hint: "Look files up by a server-generated id, or resolve the path with `resolve(strict=True)` and reject it unless `is_relative_to(root)`.",
  check(file, report) {
    for (const route of file.routes) {
      const sources = pathSources(route);
      if (sources.size === 0) continue;
      const body = route.fn.child("body");
      if (checksContainment(body)) continue;
      for (const call of callsUnder(body)) {
        const target = sinkArgument(file, call);
        const source = target ? sourceParameter(file, target, sources, PATH_FLOW) : null;
        if (source) {
          report(
            call,
            `\`${excerpt(call)}\` in \`${route.name}\` uses a file path built from the request value \`${source.text}\``,
          );
        }
      }
    }
  },
};

/** Parameter names whose text a client chooses and that no pattern constrains. */
function pathSources(route: Route): Set<string> {
  const names = new Set<string>();
  for (const parameter of route.parameters) {
    if (parameter.dependency || parameter.isRequest) continue;
    const upload = parameter.baseType?.split(".").pop() === "UploadFile";
    if (upload) {
      names.add(parameter.name);
      continue;
    }
    if (!isStringParameter(parameter.baseType)) continue;
    if (metadataHasKeyword(parameter.metadata, ["pattern", "regex"])) continue;
    names.add(parameter.name);
  }
  return names;
}

/** The argument of a file-system call that names the file, or null if `call` is not one. */
function sinkArgument(file: FileContext, call: SyntaxNode): SyntaxNode | null {
  const qualified = file.calleeName(call);
  for (const sink of FILE_SINKS) {
    const matches = sink.name.includes(".") ? qualified === sink.name : endsWithName(qualified, sink.name);
    if (matches && !(sink.name === "open" && qualified !== "open")) {
      return argumentAt(call, 0, sink.argument);
    }
  }
  const callee = call.child("function");
  if (callee?.type !== "attribute") return null;
  const method = callee.child("attribute")?.text ?? "";
  return PATH_METHODS.has(method) ? callee.child("object") : null;
}
