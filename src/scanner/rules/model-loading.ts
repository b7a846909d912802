import { descendants, type SyntaxNode } from "../parse/syntax.js";
import {
  argumentAt,
  keywordArguments,
  keywordNode,
  positionalArguments,
  unwrap,
  type FileContext,
} from "../analysis/context.js";
import { sourceParameter, type CallEffect, type FlowOptions } from "../analysis/flow.js";
import { endsWithName } from "../analysis/names.js";
import type { Route } from "../analysis/routes.js";
import { constantBoolean } from "../analysis/values.js";
import type { Rule } from "../types.js";
import { excerpt } from "./common.js";
import { requestValue, textParameters } from "./sql.js";

/** Functions that unpickle their input, by import-resolved name. */
const PICKLE_LOADERS = new Set([
  "pickle.load",
  "pickle.loads",
  "pickle.Unpickler",
  "cPickle.load",
  "cPickle.loads",
  "_pickle.load",
  "_pickle.loads",
  "dill.load",
  "dill.loads",
  "cloudpickle.load",
  "cloudpickle.loads",
  "joblib.load",
  "pandas.read_pickle",
  "torch.jit.load",
]);

/**
 * SFA011. Loading a pickle-based file runs whatever code the file contains,
 * so a swapped model file or a malicious hub repository means remote code
 * execution. Flags `pickle`/`dill`/`cloudpickle`/`joblib` loads,
 * `pandas.read_pickle`, `numpy.load(allow_pickle=True)`, `torch.jit.load`,
 * `torch.load` with `weights_only=False` (high) or without `weights_only`
 * (medium: safe only from torch 2.6, where the default became `True`), and
 * any call with `trust_remote_code=True`. Aliased imports are resolved. Does
 * not flag `pickle.dumps`, safetensors, `torch.load(..., weights_only=True)`,
 * or the word "pickle" outside a call.
 */
export const unsafeDeserializationRule: Rule = {
  id: "SFA011",
  title: "Unsafe model or object deserialization",
  cwe: "CWE-502",
  relatedCwes: ["CWE-94"],
  severity: "high",
  description:
    "pickle-based loaders (pickle, joblib, dill, `torch.load` without `weights_only=True`, `torch.jit.load`, `numpy.load(allow_pickle=True)`) and `trust_remote_code=True` execute code embedded in the file or repository.",
  hint: "Store weights as safetensors and load them with `safetensors.torch.load_file` into a known architecture; pass `weights_only=True` if `torch.load` is unavoidable and `trust_remote_code=False` with a pinned revision.",
  check(file, report) {
    for (const call of file.nodes("call")) {
      const callee = file.calleeName(call);
      const options = keywordArguments(call);
      const remote = options.get("trust_remote_code");
      if (remote && constantBoolean(file, remote) === true) {
        report(keywordNode(call, "trust_remote_code") ?? call, `\`${excerpt(call)}\` runs code from the model repository (\`trust_remote_code=True\`)`);
      }
      if (!callee) continue;
      if (PICKLE_LOADERS.has(callee)) {
        report(call, `\`${excerpt(call)}\` deserializes with pickle, which runs code from the file`);
      } else if (callee === "numpy.load") {
        const allow = options.get("allow_pickle");
        if (allow && constantBoolean(file, allow) === true) {
          report(call, `\`${excerpt(call)}\` allows pickled objects, which run code from the file`);
        }
      } else if (callee === "torch.load") {
        checkTorchLoad(file, call, options, report);
      }
    }
  },
};

function checkTorchLoad(
  file: FileContext,
  call: SyntaxNode,
  options: Map<string, SyntaxNode>,
  report: Parameters<typeof unsafeDeserializationRule.check>[1],
): void {
  const weightsOnly = options.get("weights_only");
  const value = weightsOnly ? constantBoolean(file, weightsOnly) : null;
  if (value === true) return;
  if (value === false) {
    report(call, `\`${excerpt(call)}\` unpickles arbitrary objects (\`weights_only=False\`)`);
  } else if (!weightsOnly) {
    report(call, `\`${excerpt(call)}\` does not set \`weights_only=True\`; torch before 2.6 unpickles arbitrary objects`, { severity: "medium" });
  }
}

/** Calls that load a model from disk or a hub, by import-resolved name or method. */
const LOADER_NAMES = new Set([
  ...PICKLE_LOADERS,
  "torch.load",
  "transformers.pipeline",
  "safetensors.torch.load_file",
  "safetensors.safe_open",
  "safetensors.numpy.load_file",
  "keras.models.load_model",
  "tensorflow.keras.models.load_model",
  "tf.keras.models.load_model",
  "whisper.load_model",
  "sentence_transformers.SentenceTransformer",
  "onnxruntime.InferenceSession",
  "ultralytics.YOLO",
]);

const LOADER_METHODS = new Set(["from_pretrained", "load_model"]);

/**
 * SFA019. Loading a model inside a request handler repeats seconds of disk
 * and GPU work on every request, so a few concurrent requests exhaust memory
 * (and the loaders involved are often pickle-based). Flags model loaders
 * (`torch.load`, `from_pretrained`, `pipeline`, `joblib.load`, safetensors,
 * Keras, ONNX Runtime and similar) called in a route handler's body,
 * including functions nested in it. Does not flag loads in `lifespan`,
 * startup code or module level, nor cached helper functions that a handler
 * calls.
 *
 * When the file path or model name comes from a request value (a free-text
 * route parameter or a request model field, as SFA006 finds them), the
 * finding is high. Its message then states that the client chooses the file
 * or Hub repository: a client-chosen path can name any file the server can
 * read, and a client-chosen Hub repository downloads attacker content. A
 * value that the handler tests with `in` / `not in` (an allowlist), looks
 * up in a table (`MODELS[name]`, `MODELS.get(name)`) or reduces with
 * `os.path.basename` or `.name` is not taken as client-chosen, and neither
 * are `Literal`, `Enum` or `pattern=` parameters.
 */
export const modelLoadInHandlerRule: Rule = {
  id: "SFA019",
  title: "Model loaded inside a request handler",
  cwe: "CWE-502",
  relatedCwes: ["CWE-400"],
  severity: "medium",
  description:
    "Loading a model on every request multiplies start-up cost and memory by the request rate, which turns ordinary traffic into a denial of service.",
  hint: "Load the model once in the app's `lifespan` and read it from `request.state` or `app.state` in the handler.",
  check(file, report) {
    for (const route of file.routes) {
      const body = route.fn.child("body");
      if (!body) continue;
      for (const node of descendants(body)) {
        if (node.type !== "call" || !isModelLoader(file, node)) continue;
        const chosen = clientChosenSource(file, route, node);
        if (chosen) {
          const value = excerpt(chosen, 40);
          const problem = isHubLoader(file, node)
            ? `a folder or Hub repository that the client chooses (\`${value}\`), so a client can make the server load a repository it controls`
            : `a file that the client chooses (\`${value}\`), which can be any file the server can read`;
          report(node, `\`${route.name}\` loads a model on every request from ${problem}: \`${excerpt(node)}\``, {
            severity: "high",
          });
        } else {
          report(node, `\`${route.name}\` loads a model on every request: \`${excerpt(node)}\``);
        }
      }
    }
  },
};

/** Keyword names of the argument that names the file or model; the first positional argument otherwise. */
const MODEL_KEYWORDS = [
  "pretrained_model_name_or_path",
  "model_name_or_path",
  "model",
  "filename",
  "f",
  "file",
  "filepath",
  "path",
  "path_or_bytes",
  "name",
];

/** Return the argument that names the file or model a loader reads; for `pipeline(task, model)` it is `model`. */
function modelArgument(file: FileContext, call: SyntaxNode): SyntaxNode | null {
  if (file.calleeName(call) === "transformers.pipeline") return argumentAt(call, 1, "model");
  const keywords = keywordArguments(call);
  for (const name of MODEL_KEYWORDS) {
    const value = keywords.get(name);
    if (value) return value;
  }
  return positionalArguments(call)[0] ?? null;
}

/** Calls whose result keeps the text of the path or name passed to them. */
const KEEPS_PATH = new Set(["str", "os.path.join", "posixpath.join", "Path", "pathlib.Path", "os.fspath", "open"]);

/** Methods whose result keeps the text of their receiver. */
const KEEPS_TEXT_METHODS = new Set([
  "format",
  "joinpath",
  "strip",
  "lower",
  "replace",
  "resolve",
  "absolute",
  "expanduser",
]);

function modelPathCallEffect(file: FileContext, call: SyntaxNode): CallEffect {
  const qualified = file.calleeName(call);
  if (qualified && KEEPS_PATH.has(qualified)) return "propagate";
  const callee = call.child("function");
  const method = callee?.type === "attribute" ? callee.child("attribute")?.text : null;
  if (method && KEEPS_TEXT_METHODS.has(method)) return "propagate";
  // `body.get("model")` carries the body's value, while `MODELS.get(name)` is a table lookup.
  return method === "get" ? "receiver" : "stop";
}

const MODEL_PATH_FLOW: FlowOptions = {
  callEffect: modelPathCallEffect,
  cleanAttributes: new Set(["name", "stem", "suffix"]),
};

/** Return the request value that chooses the file or model `call` loads, or null when the client does not choose it. */
function clientChosenSource(file: FileContext, route: Route, call: SyntaxNode): SyntaxNode | null {
  const sources = textParameters(file, route);
  // An uploaded file is content that the client sends, not a path or name that it chooses.
  for (const parameter of route.parameters) {
    if (parameter.baseType?.split(".").pop() === "UploadFile") sources.delete(parameter.name);
  }
  if (sources.size === 0) return null;
  const target = modelArgument(file, call);
  if (!target) return null;
  const source = sourceParameter(file, target, sources, MODEL_PATH_FLOW);
  if (!source) return null;
  const value = requestValue(source);
  return isAllowlisted(file, route, value) ? null : value;
}

/** True when the handler tests `value` with `in` or `not in`, as an allowlist check does. */
function isAllowlisted(file: FileContext, route: Route, value: SyntaxNode): boolean {
  const text = unwrap(value).text;
  for (const comparison of descendants(route.fn)) {
    if (comparison.type !== "comparison_operator") continue;
    const operators = comparison.children.filter((child) => !child.named).map((child) => child.text);
    if (!operators.includes("in") && !operators.includes("not in")) continue;
    const left = comparison.firstNamed;
    if (left && (left.text === text || file.resolve(left).text === text)) return true;
  }
  return false;
}

/** True for loaders that also take a Hugging Face Hub repository id in place of a local path. */
function isHubLoader(file: FileContext, call: SyntaxNode): boolean {
  const callee = file.calleeName(call);
  const method = call.child("function")?.child("attribute")?.text;
  if (method === "from_pretrained" || callee === "transformers.pipeline") return true;
  return endsWithName(callee, "SentenceTransformer");
}

function isModelLoader(file: FileContext, call: SyntaxNode): boolean {
  const callee = file.calleeName(call);
  if (callee && LOADER_NAMES.has(callee)) return true;
  const method = call.child("function")?.child("attribute")?.text;
  if (method && LOADER_METHODS.has(method)) return true;
  return endsWithName(callee, "SentenceTransformer");
}
