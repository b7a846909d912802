import type { SyntaxNode } from "../parse/syntax.js";
import { unwrap, type FileContext } from "./context.js";
import { dottedName } from "./names.js";
import type { RouteParameter } from "./routes.js";

/**
 * Kind of value that a route parameter's type lets the client send, as FastAPI validates it:
 * - `text`: free text, such as `str`, a request model or an unknown class;
 * - `scalar`: numbers, booleans, UUIDs, dates and times, or containers of them;
 * - `literal`: one of the values of a `Literal[...]`;
 * - `enum`: a member of an `Enum` class defined in the same file.
 */
export type ParameterKind = "text" | "scalar" | "literal" | "enum";

/** Types, and Pydantic constrained types, whose values are never free text. */
const SCALAR_TYPES = new Set([
  "int",
  "float",
  "bool",
  "complex",
  "UUID",
  "UUID1",
  "UUID3",
  "UUID4",
  "UUID5",
  "date",
  "datetime",
  "time",
  "timedelta",
  "Decimal",
  "PositiveInt",
  "NegativeInt",
  "NonNegativeInt",
  "NonPositiveInt",
  "PositiveFloat",
  "NegativeFloat",
  "NonNegativeFloat",
  "NonPositiveFloat",
  "FiniteFloat",
  "StrictInt",
  "StrictFloat",
  "StrictBool",
  "PastDate",
  "FutureDate",
  "AwareDatetime",
  "NaiveDatetime",
  "PastDatetime",
  "FutureDatetime",
  "conint",
  "confloat",
  "condecimal",
  "condate",
]);

/** Generic types whose values are made of their type arguments' values. */
const CONTAINER_TYPES = new Set([
  "list",
  "List",
  "set",
  "Set",
  "frozenset",
  "FrozenSet",
  "tuple",
  "Tuple",
  "Sequence",
  "Iterable",
  "Collection",
]);

const UNION_TYPES = new Set(["Optional", "Union"]);

const ENUM_BASES = new Set(["Enum", "StrEnum", "IntEnum", "Flag", "IntFlag"]);

const MAX_DEPTH = 8;

/** Classify a route parameter by its annotation. An unannotated parameter is `str` to FastAPI. */
export function parameterKind(file: FileContext, parameter: RouteParameter): ParameterKind {
  const annotation = parameter.node.child("type");
  return annotation ? typeKind(file, annotation, 0) : "text";
}

function typeKind(file: FileContext, node: SyntaxNode, depth: number): ParameterKind {
  const inner = node.type === "type" ? node.firstNamed : unwrap(node);
  if (!inner || depth > MAX_DEPTH) return "text";
  switch (inner.type) {
    case "none":
      return "scalar";
    case "generic_type":
    case "subscript":
      return genericKind(file, inner, depth);
    case "union_type":
      return unionKind(file, inner.namedChildren, depth);
    case "binary_operator": {
      if (inner.child("operator")?.text !== "|") return "text";
      return unionKind(file, [inner.child("left"), inner.child("right")], depth);
    }
    case "call": {
      const callee = inner.child("function");
      const name = callee ? lastPart(dottedName(callee)) : "";
      return SCALAR_TYPES.has(name) ? "scalar" : "text";
    }
    case "identifier":
    case "attribute":
      return namedKind(file, inner, depth);
    default:
      return "text";
  }
}

function genericKind(file: FileContext, node: SyntaxNode, depth: number): ParameterKind {
  const head = node.type === "subscript" ? node.child("value") : node.firstNamed;
  const name = head ? lastPart(dottedName(head)) : "";
  const parameters =
    node.type === "subscript"
      ? node.childrenOf("subscript")
      : (node.children.find((child) => child.type === "type_parameter")?.namedChildren ?? []);
  if (name === "Literal") return "literal";
  const first = parameters[0];
  if (name === "Annotated") return first ? typeKind(file, first, depth + 1) : "text";
  if (UNION_TYPES.has(name)) return unionKind(file, parameters, depth);
  if (!CONTAINER_TYPES.has(name)) return "text";
  const elements = parameters.filter((parameter) => parameter.text !== "...");
  if (elements.length === 0) return "text";
  const textual = elements.some((element) => typeKind(file, element, depth + 1) === "text");
  return textual ? "text" : "scalar";
}

/**
 * Combine the members of a union, `None` aside: text if any member is text,
 * `literal` or `enum` when every member is of that one kind, else scalar.
 */
function unionKind(file: FileContext, members: (SyntaxNode | null)[], depth: number): ParameterKind {
  const kinds = members
    .filter((member): member is SyntaxNode => member !== null && !isNone(member))
    .map((member) => typeKind(file, member, depth + 1));
  if (kinds.length === 0) return "scalar";
  if (kinds.includes("text")) return "text";
  const first = kinds[0] as ParameterKind;
  return kinds.every((kind) => kind === first) ? first : "scalar";
}

function namedKind(file: FileContext, node: SyntaxNode, depth: number): ParameterKind {
  const name = lastPart(dottedName(node));
  if (SCALAR_TYPES.has(name)) return "scalar";
  if (node.type === "identifier") {
    const binding = file.bindingOf(node);
    const value = binding?.kind === "assign" && binding.value ? unwrap(binding.value) : null;
    if (value && ["subscript", "generic_type", "union_type", "binary_operator", "identifier", "attribute"].includes(value.type)) {
      return typeKind(file, value, depth + 1);
    }
  }
  return isEnumClass(file, name, depth) ? "enum" : "text";
}

/** True when the file defines class `name` with `Enum` (or `StrEnum`, `IntEnum`, ...) among its ancestors in the file. */
export function isEnumClass(file: FileContext, name: string, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const definition = file
    .nodes("class_definition")
    .find((node) => node.child("name")?.text === name && file.enclosingFunction(node) === null);
  const bases = definition?.child("superclasses")?.namedChildren ?? [];
  return bases.some((base) => {
    const baseName = lastPart(dottedName(base));
    return ENUM_BASES.has(baseName) || (baseName !== name && isEnumClass(file, baseName, depth + 1));
  });
}

function isNone(node: SyntaxNode): boolean {
  const inner = node.type === "type" ? node.firstNamed : node;
  return inner?.type === "none" || inner?.text === "None";
}

function lastPart(name: string | null): string {
  return name?.split(".").pop() ?? "";
}
