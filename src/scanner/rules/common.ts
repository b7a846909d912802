import { descendants, type SyntaxNode } from "../parse/syntax.js";
import type { FileContext } from "../analysis/context.js";
import type { Route } from "../analysis/routes.js";
import { dottedName, endsWithName } from "../analysis/names.js";

/** Shorten code for a message: one line, at most `max` characters. */
export function excerpt(node: SyntaxNode, max = 60): string {
  const text = node.text.replace(/\s+/g, " ").trim();
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** `POST /login` for messages. */
export function routeLabel(route: Route): string {
  const method = route.methods.join("|") || "GET";
  return route.path === null ? `${method} ${route.name}` : `${method} ${route.path}`;
}

/** Types that FastAPI injects itself and that never carry client-chosen text. */
const INJECTED_TYPES = new Set([
  "Request",
  "Response",
  "BackgroundTasks",
  "WebSocket",
  "HTTPConnection",
  "SecurityScopes",
]);

/** Parameters whose values the client chooses: not dependencies, not injected objects. */
export function clientParameters(route: Route): Set<string> {
  const names = new Set<string>();
  for (const parameter of route.parameters) {
    if (parameter.dependency || parameter.isRequest) continue;
    const base = parameter.baseType?.split(".").pop() ?? "";
    if (INJECTED_TYPES.has(base)) continue;
    names.add(parameter.name);
  }
  return names;
}

const STRING_TYPES = new Set(["str", "Optional[str]", "typing.Optional[str]"]);

/** True for a parameter declared as `str` (or with no annotation, which FastAPI reads as `str`). */
export function isStringParameter(baseType: string | null): boolean {
  return baseType === null || STRING_TYPES.has(baseType);
}

/** True when any `Query`/`Path`/`Body`/`Field`/`StringConstraints` call sets `keyword`. */
export function metadataHasKeyword(metadata: SyntaxNode[], keywords: readonly string[]): boolean {
  return metadata.some((call) =>
    call.child("arguments")?.children.some(
      (argument) =>
        argument.type === "keyword_argument" &&
        keywords.includes(argument.child("name")?.text ?? ""),
    ),
  );
}

/** Dotted callee names of every call in `node`, nested functions included. */
export function calleeNames(node: SyntaxNode | null): string[] {
  if (!node) return [];
  const names: string[] = [];
  for (const child of descendants(node)) {
    if (child.type !== "call") continue;
    const callee = child.child("function");
    const name = callee ? dottedName(callee) : null;
    if (name) names.push(name);
  }
  return names;
}

/** Decorator expressions other than the route decorator. */
export function extraDecorators(route: Route): SyntaxNode[] {
  return route.decorators.filter((decorator) => decorator !== route.decorator);
}

const LLM_CALL_SUFFIXES = [
  "chat.completions.create",
  "chat.completions.stream",
  "completions.create",
  "responses.create",
  "responses.stream",
  "messages.create",
  "messages.stream",
  "ChatCompletion.create",
  "ChatCompletion.acreate",
];

const LLM_FUNCTIONS = new Set([
  "litellm.completion",
  "litellm.acompletion",
  "ollama.chat",
  "ollama.generate",
  "ollama.AsyncClient.chat",
]);

const GENERATE_METHODS = new Set([
  "generate",
  "agenerate",
  "generate_content",
  "generate_content_async",
  "invoke",
  "ainvoke",
  "stream",
  "astream",
  "chat",
  "achat",
  "complete",
  "acomplete",
  "create_chat_completion",
]);

const MODEL_RECEIVER = /(llm|model|chain|client|pipe|generator|chat|agent|openai|anthropic|gemini|ollama|completion)/i;

/**
 * True for a call that sends a prompt to a language model: the OpenAI,
 * Anthropic and LiteLLM client methods, Ollama, and `generate`/`invoke`-style
 * methods on a receiver whose name suggests a model or chain.
 */
export function isLlmCall(file: FileContext, call: SyntaxNode): boolean {
  const callee = call.child("function");
  if (!callee) return false;
  const qualified = file.qualified(callee);
  if (qualified && LLM_FUNCTIONS.has(qualified)) return true;
  const raw = callee.text.replace(/\s+/g, "");
  if (LLM_CALL_SUFFIXES.some((suffix) => raw.endsWith(`.${suffix}`) || raw === suffix)) return true;
  if (callee.type !== "attribute") return false;
  const method = callee.child("attribute")?.text ?? "";
  if (!GENERATE_METHODS.has(method)) return false;
  const receiver = callee.child("object");
  return receiver !== null && MODEL_RECEIVER.test(receiver.text);
}

/** The LLM calls in a route handler, nested functions (stream generators) included. */
export function llmCalls(file: FileContext, route: Route): SyntaxNode[] {
  const body = route.fn.child("body");
  if (!body) return [];
  const calls: SyntaxNode[] = [];
  for (const node of descendants(body)) {
    if (node.type === "call" && isLlmCall(file, node)) calls.push(node);
  }
  return calls;
}

/**
 * True when the call's import-resolved callee matches one of `names`: a dotted
 * name must match exactly, a bare name matches the last part.
 */
export function isCall(file: FileContext, call: SyntaxNode, names: readonly string[]): boolean {
  const qualified = file.calleeName(call);
  return names.some((name) => (name.includes(".") ? qualified === name : endsWithName(qualified, name)));
}
