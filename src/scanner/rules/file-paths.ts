import type { SyntaxNode } from "../parse/syntax.js";
import { argumentAt, positionalArguments, type FileContext } from "../analysis/context.js";
import { callsUnder, sourceParameter, type CallEffect, type FlowOptions } from "../analysis/flow.js";
import { endsWithName, lastName } from "../analysis/names.js";
import type { Route } from "../analysis/routes.js";
import { constantString } from "../analysis/values.js";
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

/** Names of the path separator string. */
const SEPARATORS = new Set(["os.sep", "os.path.sep", "os.altsep", "posixpath.sep", "ntpath.sep"]);

/** `os.path.join(base, "")` ends with a separator. */
const JOIN_FUNCTIONS = new Set(["os.path.join", "posixpath.join", "ntpath.join"]);

const MAX_PREFIX_DEPTH = 8;

/**
 * True when the handler proves containment: a check call, or `startswith`
 * with a folder prefix that ends in a separator in a handler that also
 * calls a normalizer. Without the separator the test is the classic prefix
 * bug: `/srv/files_evil/x` starts with `/srv/files`.
 * NOTE: which path `startswith` tests, and whether it is the normalized
 * one, is not checked.
 */
function checksContainment(file: FileContext, body: SyntaxNode | null): boolean {
  if (calleeNames(body).some((name) => CONTAINMENT_CHECKS.test(name))) return true;
  const calls = callsUnder(body);
  const normalizes = calls.some((call) => NORMALIZERS.test(calledName(call) ?? ""));
  return normalizes && calls.some((call) => testsFolderPrefix(file, call));
}

/** Return the last name of a callee, such as `resolve` for `(root / name).resolve()`. */
function calledName(call: SyntaxNode): string | null {
  const callee = call.child("function");
  return callee ? lastName(callee) : null;
}

/** True for `x.startswith(prefix)` where every prefix is a folder that ends in a separator. */
function testsFolderPrefix(file: FileContext, call: SyntaxNode): boolean {
  if (calledName(call) !== "startswith" || call.child("function")?.type !== "attribute") return false;
  const prefix = positionalArguments(call)[0];
  return prefix !== undefined && isFolderPrefix(file, prefix);
}

/**
 * True for a prefix that ends in a separator and names more than the root:
 * `BASE + os.sep`, `f"{BASE}/"`, a constant `"/srv/files/"`, or a tuple of
 * such prefixes. `"/"` and `"./"` are no folder.
 */
function isFolderPrefix(file: FileContext, node: SyntaxNode): boolean {
  const value = file.resolve(node);
  if (value.type === "tuple") {
    const elements = value.namedChildren.filter((child) => child.type !== "comment");
    return elements.length > 0 && elements.every((element) => isFolderPrefix(file, element));
  }
  const constant = constantString(file, value);
  if (constant !== null) return /[\\/]$/.test(constant) && !/^[.\\/]*$/.test(constant);
  return endsWithSeparator(file, value, 0);
}

/**
 * True when the last part of a string expression is a path separator:
 * `+ os.sep`, `+ "/"`, an f-string ending in `/` or `{os.sep}`, or
 * `os.path.join(base, "")`. Names are followed to their assigned values.
 */
function endsWithSeparator(file: FileContext, node: SyntaxNode, depth: number): boolean {
  if (depth > MAX_PREFIX_DEPTH) return false;
  const value = file.resolve(node);
  if (SEPARATORS.has(file.qualified(value) ?? "")) return true;
  const constant = constantString(file, value);
  if (constant !== null) return /[\\/]$/.test(constant);
  switch (value.type) {
    case "binary_operator": {
      const right = value.child("right");
      return value.child("operator")?.text === "+" && right !== null && endsWithSeparator(file, right, depth + 1);
    }
    case "concatenated_string": {
      const last = value.namedChildren.at(-1);
      return last !== undefined && endsWithSeparator(file, last, depth + 1);
    }
    case "string": {
      const parts = value.children.filter((part) => part.type === "string_content" || part.type === "interpolation");
      const last = parts.at(-1);
      if (last?.type === "string_content") return /[\\/]$/.test(last.text);
      const inserted = last?.child("expression") ?? last?.firstNamed;
      return inserted !== null && inserted !== undefined && endsWithSeparator(file, inserted, depth + 1);
    }
    case "call": {
      if (!JOIN_FUNCTIONS.has(file.calleeName(value) ?? "")) return false;
      const last = positionalArguments(value).at(-1);
      return last !== undefined && constantString(file, last) === "";
    }
    default:
      return false;
  }
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
 * a check only when its prefix ends in a separator (`BASE + os.sep`,
 * `f"{BASE}/"`, a constant ending in `/`, or a tuple of such prefixes) and
 * the handler also calls `realpath`, `abspath`, `normpath` or `resolve()`.
 * `startswith(BASE)` without the separator and `startswith("/")` are no
 * check. Normalizing alone is no check either, because a normalized `../`
 * or absolute path still points outside the folder. Paths built in other
 * functions are not followed.
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
      if (checksContainment(file, body)) continue;
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
