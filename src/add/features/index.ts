import { planKit } from "../existing.js";
import { planOptionChange, generatedOptions, type GeneratedContext } from "../generated.js";
import { presentPlan, type AddPlan } from "../plan.js";
import { planLlm, planModel } from "./ai.js";
import { planExistingAuth } from "./auth.js";
import { CORS_KIT, ERRORS_KIT, RATE_LIMIT_KIT } from "./kits.js";
import { planResource } from "./resource.js";

export interface AddContext extends GeneratedContext {
  /** The feature's argument, such as the name of a resource. */
  argument: string | undefined;
}

/** One feature that `add` can put into a project. */
export interface Feature {
  name: string;
  /** One line for --help. */
  summary: string;
  /** Placeholder of the required argument in --help, such as NAME. */
  argument?: string;
  /** The argument as a user would type it, shown when it is missing: `note`, or the allowed values. */
  argumentExample?: string;
  plan(context: AddContext): Promise<AddPlan>;
}

/** Build a feature that every generated project has and that other projects get from a kit. */
function baseFeature(
  name: string,
  summary: string,
  present: string,
  kit: typeof RATE_LIMIT_KIT,
  notes: string[],
): Feature {
  return {
    name,
    summary,
    plan: async ({ project, catalog }) => {
      if (project.generated) return presentPlan(project, present);
      const plan = await planKit(project, kit, catalog, name);
      if (!plan.alreadyPresent) plan.notes.push(...notes);
      return plan;
    },
  };
}

/** The features, in the order --help lists them. A new feature is one entry here. */
export const FEATURES: readonly Feature[] = [
  {
    name: "auth",
    summary: "JWT bearer tokens and Argon2id password hashing (accounts in generated projects)",
    plan: async (context) => {
      const { project } = context;
      if (!project.generated) return planExistingAuth(context);
      if (generatedOptions(project).auth === "jwt") {
        return presentPlan(project, "Accounts with JWT bearer tokens are already part of this project.");
      }
      const plan = await planOptionChange(context, { auth: "jwt" });
      plan.notes.push(
        "Run `alembic upgrade head` to create the users, documents and stored_files tables.",
        "Create the first admin with `python -m app.cli create-admin` (see README.md).",
      );
      return plan;
    },
  },
  baseFeature(
    "rate-limit",
    "a default rate limit per client address for every route, and stricter limits per route",
    "Rate limits are part of every generated project: app/core/rate_limit.py and DEFAULT_RATE_LIMIT in the settings.",
    RATE_LIMIT_KIT,
    [
      "Set RATE_LIMIT_STORAGE_URI=redis://HOST:6379/0 (and install redis) when more than one worker process serves the API; memory:// counts per process.",
      'Limit a route further with dependencies=[Depends(rate_limit("5/minute", scope="login"))], rate_limit coming from the new rate_limit module.',
      "Tests that send more than DEFAULT_RATE_LIMIT requests a minute need a higher DEFAULT_RATE_LIMIT in their environment.",
    ],
  ),
  baseFeature(
    "cors",
    "CORS for an explicit list of browser origins, validated at startup",
    "CORS is part of every generated project: list the allowed origins in CORS_ORIGINS.",
    CORS_KIT,
    ["List the browser origins that may call the API in CORS_ORIGINS, such as CORS_ORIGINS=https://app.example.com."],
  ),
  baseFeature(
    "errors",
    "JSON error handlers that hide internals, security headers and a request body limit",
    "Error handlers, security headers and the body size limit are part of every generated project: app/core/errors.py and app/core/middleware.py.",
    ERRORS_KIT,
    [
      "Set HSTS_ENABLED=false only where the API must stay reachable over plain HTTP, and MAX_REQUEST_BODY_BYTES for larger bodies.",
    ],
  ),
  {
    name: "resource",
    summary: "an owned resource: model, migration, CRUD routes filtered by owner, and tests",
    argument: "NAME",
    plan: planResource,
  },
  {
    name: "llm",
    summary: "LLM routes with bounded input, redaction and token budgets (token budgets and guards in other projects)",
    plan: planLlm,
  },
  {
    name: "model",
    summary:
      "a prediction route, KIND safetensors or transformers (inference limits and loading checks in other projects)",
    argument: "KIND",
    argumentExample: "safetensors (or transformers)",
    plan: planModel,
  },
];

export function findFeature(name: string): Feature | undefined {
  return FEATURES.find((feature) => feature.name === name);
}
