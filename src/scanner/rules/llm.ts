import { descendants, type SyntaxNode } from "../parse/syntax.js";
import type { FileContext } from "../analysis/context.js";
import { sourceParameter, type FlowOptions } from "../analysis/flow.js";
import { isModelName } from "../analysis/orm.js";
import { routeDependencies, type Route, type RouteParameter } from "../analysis/routes.js";
import { constantString, stringShape } from "../analysis/values.js";
import type { Reporter, Rule } from "../types.js";
import {
  calleeNames,
  clientParameters,
  excerpt,
  extraDecorators,
  isStringParameter,
  llmCalls,
  metadataHasKeyword,
  routeLabel,
} from "./common.js";

/** Values pass through any call: prompt helpers, `.strip()`, templates. */
const PROMPT_FLOW: FlowOptions = { callEffect: () => "propagate" };

const TOKEN_PARAMETER = /tokens/i;

/** Parameters whose values reach an LLM call in the route. */
function parametersReachingModel(file: FileContext, route: Route, calls: SyntaxNode[]): RouteParameter[] {
  const client = clientParameters(route);
  const reached: RouteParameter[] = [];
  for (const parameter of route.parameters) {
    if (!client.has(parameter.name)) continue;
    const names = new Set([parameter.name]);
    const flows = calls.some((call) => {
      const list = call.child("arguments");
      return list !== null && sourceParameter(file, list, names, PROMPT_FLOW) !== null;
    });
    if (flows) reached.push(parameter);
  }
  return reached;
}

/**
 * SFA010. An LLM route that accepts text of any length lets one request
 * consume a whole context window and budget, and makes prompt injection
 * easier to hide. In routes that call a language model, flags a `str`
 * parameter that reaches the model without `max_length` (in `Query`, `Body`,
 * `Form`, `Field` or `StringConstraints`). Also flags an integer `*tokens*`
 * parameter without `le`/`lt`, and a request model whose string fields used
 * in the route have no `max_length`, when the model class is in the scanned
 * files. Does not flag models it cannot see, or values that never reach the
 * model.
 */
export const unboundedPromptRule: Rule = {
  id: "SFA010",
  title: "LLM route accepts unbounded input",
  cwe: "CWE-20",
  relatedCwes: ["CWE-770"],
  severity: "medium",
  description:
    "An LLM endpoint that accepts prompts of any length, or any `max_tokens`, lets one request exhaust the context window, GPU time and budget, and hides injected instructions in bulk text.",
  hint: "Use a request model with `prompt: str = Field(max_length=...)` and `max_tokens: int = Field(ge=1, le=...)`.",
  check(file, report) {
    for (const route of file.routes) {
      const calls = llmCalls(file, route);
      if (calls.length === 0) continue;
      for (const parameter of parametersReachingModel(file, route, calls)) {
        checkParameter(route, parameter, report);
      }
    }
  },
};

function checkParameter(route: Route, parameter: RouteParameter, report: Reporter): void {
  const label = routeLabel(route);
  if (isStringParameter(parameter.baseType)) {
    if (!metadataHasKeyword(parameter.metadata, ["max_length"])) {
      report(parameter.node, `\`${parameter.name}: str\` in LLM route \`${label}\` has no \`max_length\``);
    }
    return;
  }
  if (parameter.baseType === "int" && TOKEN_PARAMETER.test(parameter.name)) {
    if (!metadataHasKeyword(parameter.metadata, ["le", "lt"])) {
      report(parameter.node, `\`${parameter.name}: int\` in LLM route \`${label}\` has no upper bound`);
    }
    return;
  }
  if (parameter.baseType && isModelName(parameter.baseType)) {
    const fields = fieldsRead(route, parameter.name);
    report(parameter.node, `Request model \`${parameter.baseType}\` of LLM route \`${label}\` has text fields without \`max_length\``, {
      condition: { kind: "unbounded-text-field", model: parameter.baseType, fields },
    });
  }
}

/** Attribute names read from a parameter in the handler: `prompt` for `body.prompt`. */
function fieldsRead(route: Route, name: string): string[] {
  const fields = new Set<string>();
  for (const node of descendants(route.fn)) {
    if (node.type !== "attribute" || node.child("object")?.text !== name) continue;
    const field = node.child("attribute")?.text;
    if (field) fields.add(field);
  }
  return [...fields];
}

/**
 * SFA018. Formatting request text into a prompt (`f"User: {message}"`) lets
 * the client write instructions with the same authority as the template, and
 * text placed in a system message becomes system instructions. Flags an
 * f-string, `%`, `.format()` or `+` that inserts a request value and reaches
 * an LLM call, directly or through variables. Does not flag request text
 * passed on its own, or formatted into the `content` of a message whose
 * `role` is `"user"`, where the model already treats it as untrusted input.
 */
export const promptFormattingRule: Rule = {
  id: "SFA018",
  title: "Prompt built from request text by formatting",
  cwe: "CWE-20",
  relatedCwes: ["CWE-74"],
  severity: "medium",
  description:
    "Formatting client text into a prompt template gives it the same authority as the template's instructions, which makes prompt injection trivial.",
  hint: "Keep the system prompt server-side and pass client text as a separate `{\"role\": \"user\", \"content\": text}` message.",
  check(file, report) {
    for (const route of file.routes) {
      const calls = llmCalls(file, route);
      if (calls.length === 0) continue;
      const client = clientParameters(route);
      const reported = new Set<SyntaxNode>();
      for (const call of calls) {
        // `nested` is true inside a reported builder, so that `a + b + c` is reported once.
        const visit = (node: SyntaxNode, userMessage: boolean, nested: boolean, depth: number): void => {
          if (depth > 8) return;
          const builder = formattedPrompt(file, node, client);
          if (builder && !userMessage && !nested && !reported.has(builder)) {
            reported.add(builder);
            report(builder, `\`${excerpt(builder)}\` formats request text into the prompt of \`${route.name}\``);
          }
          const inside = nested || builder !== null;
          if (node.type === "keyword_argument" || node.type === "attribute") {
            const inner = node.child(node.type === "attribute" ? "object" : "value");
            if (inner) visit(inner, userMessage, inside, depth + 1);
            return;
          }
          if (node.type === "identifier") {
            const binding = file.bindingOf(node);
            if (binding?.kind === "assign" && binding.value) visit(binding.value, userMessage, false, depth + 1);
            return;
          }
          const role = node.type === "dictionary" ? messageRole(file, node) : null;
          for (const child of node.namedChildren) visit(child, userMessage || role === "user", inside, depth + 1);
        };
        const list = call.child("arguments");
        if (list) visit(list, false, false, 0);
      }
    }
  },
};

/** Return the node that formats a client value into a string, or null. */
function formattedPrompt(file: FileContext, node: SyntaxNode, client: Set<string>): SyntaxNode | null {
  if (!["string", "binary_operator", "call", "concatenated_string"].includes(node.type)) return null;
  const shape = stringShape(file, node);
  if (!shape?.dynamic) return null;
  const fromClient = shape.inserted.some((inserted) => sourceParameter(file, inserted, client, PROMPT_FLOW));
  return fromClient ? node : null;
}

function messageRole(file: FileContext, dictionary: SyntaxNode): string | null {
  for (const pair of dictionary.children) {
    if (pair.type !== "pair") continue;
    const key = pair.child("key");
    const value = pair.child("value");
    if (key && value && constantString(file, key) === "role") return constantString(file, value);
  }
  return null;
}

const TOKEN_BUDGET = /budget|quota|token_?(bucket|limit|rate|cost|usage)|tokens?_?per|reserve_?tokens?|usage|credit|spend|cost|(ai|llm)_?(rate|limit)|rate_?limit_?(ai|llm|tokens?)/i;

/**
 * SFA012. A request-count limit does not bound cost on an LLM route: each
 * request may ask for the maximum tokens. Flags routes that call a language
 * model with no visible token budget. A budget is a dependency (on the route,
 * its router or app, or an `Annotated` alias) or a call in the handler whose
 * name mentions a budget, quota, usage, cost or token limit, or a limiter call
 * with a `cost=` argument. A slowapi `@limiter.limit(...)` alone does not
 * count. The names are a heuristic, so a budget enforced under another name
 * needs a suppression with a reason.
 */
export const tokenBudgetRule: Rule = {
  id: "SFA012",
  title: "LLM route without token limiting",
  cwe: "CWE-400",
  relatedCwes: ["CWE-770"],
  severity: "medium",
  description:
    "An LLM endpoint without a per-client token budget lets one client exhaust GPU capacity or the provider budget; a request-count limit does not bound the tokens each request consumes.",
  hint: "Add a token-budget dependency that reserves prompt tokens plus `max_tokens` per client before the call and refunds the unused part.",
  check(file, report) {
    for (const route of file.routes) {
      if (llmCalls(file, route).length === 0 || hasTokenBudget(file, route)) continue;
      const requestLimited = extraDecorators(route).some((decorator) => /\.limit\b/.test(decorator.text));
      const detail = requestLimited ? "has only a request-count limit" : "has no token limit";
      report(route.fn.child("name") ?? route.fn, `LLM route \`${routeLabel(route)}\` (\`${route.name}\`) ${detail}`);
    }
  },
};

function hasTokenBudget(file: FileContext, route: Route): boolean {
  const names = [...routeDependencies(file, route), ...route.parameters.map((parameter) => parameter.baseType ?? "")];
  if (names.some((name) => TOKEN_BUDGET.test(name))) return true;
  const body = route.fn.child("body");
  if (calleeNames(body).some((name) => TOKEN_BUDGET.test(name))) return true;
  if (!body) return false;
  for (const node of descendants(body)) {
    if (node.type === "keyword_argument" && node.child("name")?.text === "cost") return true;
  }
  return false;
}
