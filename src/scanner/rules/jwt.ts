import type { SyntaxNode } from "../parse/syntax.js";
import {
  argumentAt,
  keywordArguments,
  keywordNode,
  positionalArguments,
  unwrap,
  type FileContext,
} from "../analysis/context.js";
import { descendants } from "../parse/syntax.js";
import { constantBoolean, constantString, sequenceElements } from "../analysis/values.js";
import { isEnumClass } from "../analysis/parameter-types.js";
import type { Rule } from "../types.js";
import { excerpt } from "./common.js";

const JWT_MODULES = ["jwt", "jose.jwt", "jwt.api_jwt", "jwt.api_jws"];

/** `decode`/`encode` when `call` is PyJWT's or python-jose's function of that name. */
function jwtFunction(file: FileContext, call: SyntaxNode): string | null {
  const qualified = file.calleeName(call);
  if (!qualified) return null;
  const dot = qualified.lastIndexOf(".");
  const module = qualified.slice(0, dot);
  const name = qualified.slice(dot + 1);
  if (!JWT_MODULES.includes(module)) return null;
  return name === "decode_complete" ? "decode" : name;
}

function jwtCalls(file: FileContext, kind: "decode" | "encode"): SyntaxNode[] {
  return file.nodes("call").filter((call) => jwtFunction(file, call) === kind);
}

const FAMILIES: readonly [RegExp, string][] = [
  [/^HS/i, "HMAC"],
  [/^(RS|PS)/i, "RSA"],
  [/^ES/i, "ECDSA"],
  [/^EdDSA$|^Ed25519$|^Ed448$/i, "EdDSA"],
];

function algorithmFamily(algorithm: string): string {
  if (algorithm.toLowerCase() === "none") return "none";
  return FAMILIES.find(([pattern]) => pattern.test(algorithm))?.[1] ?? algorithm;
}

/**
 * True for `header["alg"]` or `header.get("alg")` where `header` is (through
 * local names) the result of `get_unverified_header`, read before the
 * signature is checked.
 */
function isTokenHeaderAlgorithm(file: FileContext, node: SyntaxNode): boolean {
  const value = unwrap(file.resolve(node));
  let header: SyntaxNode | null = null;
  if (value.type === "subscript") {
    const key = value.child("subscript");
    if (key && constantString(file, key) === "alg") header = value.child("value");
  } else if (value.type === "call") {
    const callee = value.child("function");
    const key = positionalArguments(value)[0];
    if (callee?.type === "attribute" && callee.child("attribute")?.text === "get" && key && constantString(file, key) === "alg") {
      header = callee.child("object");
    }
  }
  if (!header) return false;
  const source = unwrap(file.resolve(header));
  return source.type === "call" && (file.calleeName(source)?.endsWith("get_unverified_header") ?? false);
}

/**
 * SFA003. Accepting `none`, or keys of several algorithm families (HMAC with
 * RSA, say), lets an attacker forge tokens: an unsigned token, or one signed
 * with the public key used as an HMAC secret. Flags the `algorithms` list of
 * `jwt.decode` (PyJWT or python-jose, positional or keyword, through local
 * variables and module constants) and `algorithm="none"` in `jwt.encode`.
 * Also flags an algorithm taken from `get_unverified_header`, which lets
 * the token pick `none` or a key family. Does not flag lists it cannot
 * resolve, or a `"none"` string in any other list.
 */
export const jwtAlgorithmRule: Rule = {
  id: "SFA003",
  title: "JWT algorithm list allows forgery",
  cwe: "CWE-347",
  relatedCwes: ["CWE-327"],
  severity: "high",
  description:
    "A JWT verifier that accepts the `none` algorithm, or algorithms of more than one family, lets attackers forge tokens: unsigned tokens, or tokens signed with a public key used as an HMAC secret.",
  hint: "Pass exactly one algorithm, e.g. `algorithms=[\"HS256\"]`, from a module constant or settings.",
  check(file, report) {
    for (const call of jwtCalls(file, "decode")) {
      const list = argumentAt(call, 2, "algorithms");
      if (!list) continue;
      const elements = sequenceElements(file, list);
      const tokenChosen = (elements ?? [list]).find((element) => isTokenHeaderAlgorithm(file, element));
      if (tokenChosen) {
        report(keywordNode(call, "algorithms") ?? list, `\`${excerpt(call)}\` lets the token choose its algorithm: \`${excerpt(tokenChosen)}\` comes from the unverified header`);
        continue;
      }
      if (!elements) continue;
      const algorithms = elements.map((element) => constantString(file, element));
      if (algorithms.some((algorithm) => algorithm === null)) continue;
      const families = new Set((algorithms as string[]).map(algorithmFamily));
      const where = keywordNode(call, "algorithms") ?? list;
      if (families.has("none")) {
        report(where, `\`${excerpt(call)}\` accepts unsigned tokens: its algorithms include "none"`);
      } else if (families.size > 1) {
        const names = [...families].join(", ");
        report(where, `\`${excerpt(call)}\` accepts several algorithm families (${names})`);
      }
    }
    for (const call of jwtCalls(file, "encode")) {
      const algorithm = argumentAt(call, 2, "algorithm");
      if (algorithm && constantString(file, algorithm)?.toLowerCase() === "none") {
        report(keywordNode(call, "algorithm") ?? algorithm, `\`${excerpt(call)}\` issues unsigned tokens (algorithm "none")`);
      }
    }
  },
};

const VERIFY_OPTIONS: readonly [string, string][] = [
  ["verify_signature", "signature verification"],
  ["verify_exp", "expiry checking"],
];

/**
 * SFA013. `options={"verify_signature": False}` (or the old `verify=False`)
 * accepts any token, signed or not; `verify_exp: False` accepts expired ones.
 * Flags those options on `jwt.decode`, resolved through variables and module
 * constants. Does not flag `get_unverified_header`, which is the normal way
 * to read `kid` before verification.
 */
export const jwtVerificationRule: Rule = {
  id: "SFA013",
  title: "JWT decoded with verification disabled",
  cwe: "CWE-347",
  severity: "high",
  description:
    "Decoding a JWT with `verify_signature` (or `verify_exp`) turned off accepts forged or expired tokens.",
  hint: "Remove the `options` that disable verification; use `jwt.get_unverified_header` if only the header is needed before verifying.",
  check(file, report) {
    for (const call of jwtCalls(file, "decode")) {
      const verify = keywordArguments(call).get("verify");
      if (verify && constantBoolean(file, verify) === false) {
        report(keywordNode(call, "verify") ?? verify, `\`${excerpt(call)}\` disables signature verification`);
      }
      const options = argumentAt(call, 3, "options");
      const dictionary = options ? file.resolve(options) : null;
      if (dictionary?.type !== "dictionary") continue;
      for (const [key, what] of VERIFY_OPTIONS) {
        const value = dictionaryValue(file, dictionary, key);
        if (value && constantBoolean(file, value) === false) {
          report(keywordNode(call, "options") ?? (options as SyntaxNode), `\`${excerpt(call)}\` disables ${what} (\`${key}: False\`)`);
        }
      }
    }
  },
};

/** Return the value stored under a constant string key in a dict literal. */
function dictionaryValue(file: FileContext, dictionary: SyntaxNode, key: string): SyntaxNode | null {
  for (const pair of dictionary.children) {
    if (pair.type !== "pair") continue;
    const pairKey = pair.child("key");
    if (pairKey && constantString(file, pairKey) === key) return pair.child("value");
  }
  return null;
}

/**
 * SFA014. A token without `exp` never expires, so a leaked token works
 * forever. Flags `jwt.encode` when the claims are a dict literal (directly,
 * through a variable, or a `.copy()` of a parameter) and the function never
 * sets an `"exp"` key: not in the literal, not by `claims["exp"] = ...`,
 * `claims.update(exp=...)` or `claims.update({"exp": ...})`. Does not flag
 * claims passed in from a caller unchanged, models dumped with
 * `model_dump()`, or dicts that spread other dicts with `**`.
 */
export const jwtExpiryRule: Rule = {
  id: "SFA014",
  title: "JWT issued without expiry",
  cwe: "CWE-347",
  relatedCwes: ["CWE-613"],
  severity: "medium",
  description: "A JWT issued without an `exp` claim stays valid forever, so a leaked token can never be revoked by time.",
  hint: "Add `\"exp\": datetime.now(UTC) + timedelta(minutes=15)` (and `iat`) to the claims, and require `exp` when decoding.",
  check(file, report) {
    for (const call of jwtCalls(file, "encode")) {
      const claims = positionalArguments(call)[0] ?? argumentAt(call, 0, "payload") ?? argumentAt(call, 0, "claims");
      if (!claims || !claimsAreLocal(file, claims)) continue;
      const scope = file.enclosingFunction(call) ?? file.root;
      if (mentionsExpiry(scope)) continue;
      report(call, `\`${excerpt(call)}\` issues a token with no \`exp\` claim`);
    }
  },
};

/** True when the claims come from a dict built in this function (not handed in whole). */
function claimsAreLocal(file: FileContext, claims: SyntaxNode): boolean {
  const value = file.resolve(claims);
  if (value.type === "dictionary") {
    return !value.children.some((child) => child.type === "dictionary_splat");
  }
  if (value.type !== "call") return false;
  const callee = value.child("function");
  if (callee?.type === "identifier" && callee.text === "dict") {
    return !value.child("arguments")?.children.some((child) => child.type.endsWith("splat"));
  }
  return callee?.type === "attribute" && callee.child("attribute")?.text === "copy";
}

/** True when a function mentions an `exp` claim as a string key or keyword anywhere. */
function mentionsExpiry(scope: SyntaxNode): boolean {
  for (const node of descendants(scope)) {
    if (node.type === "string_content" && node.text === "exp") return true;
    if (node.type === "keyword_argument" && node.child("name")?.text === "exp") return true;
  }
  return false;
}

/** Names of signing keys and shared secrets: `SECRET_KEY`, `jwt_secret`, `SIGNING_KEY`, `CLIENT_SECRET`. */
const SECRET_NAME = /secret_?key|signing_?key|private_?key|hmac_?(key|secret)|jwt_?(key|secret)|token_?secret|(^|_)secret$/i;
const NOT_A_SECRET_NAME = /_(env|name|var|file|path|header|field|algorithm|alg|length|len|id)$|^secret_?(name|id|arn)$/i;

/**
 * SFA015. A signing key written in source is shared with everyone who can
 * read the repository or the image, and is rarely rotated. Flags a non-empty
 * string literal (also as `SecretStr("...")` or an `os.getenv` fallback)
 * assigned to a module name or class field called like `SECRET_KEY`,
 * `JWT_SECRET`, `SIGNING_KEY` or `CLIENT_SECRET`, and a literal key passed to
 * `jwt.encode` or `jwt.decode` through other names. Test files (`test_*.py`,
 * `*_test.py`, `conftest.py`, or under a `tests` folder) are skipped: their
 * keys sign only test tokens. Does not flag names such as
 * `SECRET_KEY_ENV` or `SECRET_NAME`, empty strings, values computed at run
 * time (`secrets.token_urlsafe(32)`), or members of an `Enum` class in the
 * same file (`client_secret = "client_secret"` names a kind, not a key).
 */
export const hardCodedKeyRule: Rule = {
  id: "SFA015",
  title: "Hard-coded secret key",
  cwe: "CWE-347",
  relatedCwes: ["CWE-798"],
  severity: "high",
  description:
    "A signing key written in source code is known to everyone with access to the repository or the built image, and cannot be rotated without a release.",
  hint: "Read the key from settings (`SECRET_KEY: SecretStr` in pydantic-settings) with no default, and check its length at startup.",
  check(file, report) {
    if (isTestFile(file.path)) return;
    const reported = new Set<SyntaxNode>();
    for (const assignment of file.nodes("assignment")) {
      const left = assignment.child("left");
      const right = assignment.child("right");
      if (left?.type !== "identifier" || !right || !isSecretName(left.text)) continue;
      if (file.enclosingFunction(assignment) !== null) continue;
      if (isEnumMember(file, assignment)) continue;
      const literal = literalSecret(file, right);
      if (literal) {
        reported.add(assignment);
        report(assignment, `\`${left.text}\` is set to a hard-coded value in source code`);
      }
    }
    for (const call of [...jwtCalls(file, "encode"), ...jwtCalls(file, "decode")]) {
      const key = argumentAt(call, 1, "key");
      if (!key) continue;
      const trail = keyTrail(file, key);
      if (trail.some((node) => reported.has(node))) continue;
      if (literalSecret(file, file.resolve(key))) {
        report(key, `\`${excerpt(call)}\` uses a hard-coded key`);
      }
    }
  },
};

/** True for an assignment in the body of a class that is an `Enum` in this file. */
function isEnumMember(file: FileContext, assignment: SyntaxNode): boolean {
  const statement = assignment.parent;
  const block = statement?.type === "expression_statement" ? statement.parent : null;
  const cls = block?.type === "block" ? block.parent : null;
  const name = cls?.type === "class_definition" ? cls.child("name")?.text : undefined;
  return name !== undefined && isEnumClass(file, name);
}

function isTestFile(path: string): boolean {
  const segments = path.split("/");
  const name = segments[segments.length - 1] ?? "";
  return /^test_.*\.py$|_test\.py$|^conftest\.py$/.test(name) || segments.slice(0, -1).includes("tests");
}

function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_A_SECRET_NAME.test(name);
}

/** Return the literal text when `node` is a hard-coded secret value, else null. */
function literalSecret(file: FileContext, node: SyntaxNode): string | null {
  const value = unwrap(node);
  if (value.type === "string") {
    const text = constantString(file, value);
    return text ? text : null;
  }
  if (value.type !== "call") return null;
  const callee = file.calleeName(value);
  if (callee === "SecretStr" || callee?.endsWith(".SecretStr")) {
    const inner = positionalArguments(value)[0];
    return inner ? literalSecret(file, inner) : null;
  }
  if (callee === "os.getenv" || callee === "os.environ.get") {
    const fallback = argumentAt(value, 1, "default");
    return fallback ? literalSecret(file, fallback) : null;
  }
  return null;
}

/** List the assignments that an identifier key passes through on its way to a value. */
function keyTrail(file: FileContext, key: SyntaxNode): SyntaxNode[] {
  const trail: SyntaxNode[] = [];
  let current = unwrap(key);
  for (let step = 0; step < 8 && current.type === "identifier"; step++) {
    const binding = file.bindingOf(current);
    if (!binding?.value) break;
    trail.push(binding.node);
    current = unwrap(binding.value);
  }
  return trail;
}

/**
 * SFA016. python-jose has had algorithm-confusion and JWE decompression-bomb
 * vulnerabilities (CVE-2024-33663, CVE-2024-33664), still defaults to
 * accepting any algorithm, and its last release was in May 2025. Flags every
 * `import jose...` and `from jose... import`. Does not flag PyJWT or joserfc.
 */
export const pythonJoseRule: Rule = {
  id: "SFA016",
  title: "python-jose imported",
  cwe: "CWE-347",
  relatedCwes: ["CWE-1104"],
  severity: "medium",
  description:
    "python-jose is unmaintained and has known token-forgery and denial-of-service vulnerabilities (CVE-2024-33663, CVE-2024-33664).",
  hint: "Use PyJWT (`import jwt`) with a single algorithm and required `exp`, `iat` and `sub` claims.",
  check(file, report) {
    for (const statement of file.nodes("import_statement")) {
      for (const name of statement.childrenOf("name")) {
        const imported = name.type === "aliased_import" ? name.child("name") : name;
        if (imported && isJose(imported.text)) report(statement, `\`${excerpt(statement)}\` imports python-jose`);
      }
    }
    for (const statement of file.nodes("import_from_statement")) {
      const module = statement.child("module_name")?.text ?? "";
      if (isJose(module)) report(statement, `\`${excerpt(statement)}\` imports python-jose`);
    }
  },
};

function isJose(module: string): boolean {
  return module === "jose" || module.startsWith("jose.");
}
