import type { Rule, RuleInfo } from "../types.js";
import { objectAuthorizationRule } from "./authorization.js";
import { corsRule } from "./cors.js";
import { debugModeRule, exceptionDetailRule } from "./errors.js";
import { filePathRule } from "./file-paths.js";
import { hardCodedKeyRule, jwtAlgorithmRule, jwtExpiryRule, jwtVerificationRule, pythonJoseRule } from "./jwt.js";
import { promptFormattingRule, tokenBudgetRule, unboundedPromptRule } from "./llm.js";
import { modelLoadInHandlerRule, unsafeDeserializationRule } from "./model-loading.js";
import { loginRateLimitRule } from "./rate-limit.js";
import { requestBodyRule } from "./request-body.js";
import { responseExposureRule } from "./responses.js";
import { sqlInjectionRule } from "./sql.js";
import { SUPPRESSION_RULE_ID } from "../suppressions.js";

/**
 * Every rule, by id. SFA001-SFA012 follow the twelve FastAPI security rules in
 * order; SFA013 and later are further checks of the same rules.
 */
export const RULES: readonly Rule[] = [
  requestBodyRule,
  filePathRule,
  jwtAlgorithmRule,
  loginRateLimitRule,
  objectAuthorizationRule,
  sqlInjectionRule,
  responseExposureRule,
  debugModeRule,
  corsRule,
  unboundedPromptRule,
  unsafeDeserializationRule,
  tokenBudgetRule,
  jwtVerificationRule,
  jwtExpiryRule,
  hardCodedKeyRule,
  pythonJoseRule,
  exceptionDetailRule,
  promptFormattingRule,
  modelLoadInHandlerRule,
];

/** SFA000: problems with suppression comments, reported by the scanner itself. */
export const SUPPRESSION_RULE: RuleInfo = {
  id: SUPPRESSION_RULE_ID,
  title: "Invalid suppression comment",
  cwe: "CWE-710",
  severity: "low",
  description:
    "A `# secure-fastapi: ignore[...]` comment must name known rules and give a reason; one that does not suppresses nothing.",
  hint: "Write `# secure-fastapi: ignore[SFA006] reason the code is safe` on the reported line.",
};

/** Rule descriptions for reports, SFA000 first. */
export const ALL_RULE_INFO: readonly RuleInfo[] = [SUPPRESSION_RULE, ...RULES];

export const RULE_IDS: ReadonlySet<string> = new Set(ALL_RULE_INFO.map((rule) => rule.id));

export function findRuleInfo(id: string): RuleInfo | undefined {
  return ALL_RULE_INFO.find((rule) => rule.id === id);
}
