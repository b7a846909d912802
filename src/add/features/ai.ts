import { CliError, UsageError } from "../../errors.js";
import type { ProjectOptions } from "../../generator/options.js";
import { planKit } from "../existing.js";
import { generatedOptions, planOptionChange } from "../generated.js";
import { presentPlan, type AddPlan } from "../plan.js";
import type { AddContext } from "./index.js";
import { LLM_KIT, MODEL_KIT } from "./kits.js";

type ModelKind = Exclude<ProjectOptions["model"], "none">;
const MODEL_KINDS: readonly ModelKind[] = ["safetensors", "transformers"];

const API_KEY_NOTE =
  "Create an API key with `python -m app.core.api_keys`, give the key to the client and put its digest in API_KEY_HASHES.";

/** Add LLM routes to a generated project, or the LLM guards to another project. */
export async function planLlm(context: AddContext): Promise<AddPlan> {
  const { project, catalog } = context;
  if (!project.generated) {
    const plan = await planKit(project, LLM_KIT, catalog, "llm");
    if (!plan.alreadyPresent) plan.notes.push(...LLM_KIT_NOTES);
    return plan;
  }
  if (generatedOptions(project).llm) {
    return presentPlan(project, "LLM routes are already part of this project: app/llm/.");
  }
  const plan = await planOptionChange(context, { llm: true });
  plan.notes.push(
    "Set LLM_MODEL_PATH to a local chat model directory, or LLM_BACKEND=openai with LLM_UPSTREAM_URL (see README.md).",
    API_KEY_NOTE,
    "Install the new dependencies: pip install -e '.[dev]'.",
  );
  return plan;
}

const LLM_KIT_NOTES = [
  "In each route that calls a model, run check_messages(...) on the client's messages, reserve_tokens(...) before the call, settle the reservation with the tokens used, and pass the reply through redact(...) or redact_stream(...); the module docstring of llm_budget.py shows the order.",
  "Key the budget by the authenticated user or API key id, never by the key itself.",
  "Set LLM_TOKEN_STORAGE_URI=redis://HOST:6379/0 (and install redis) when more than one worker process serves the API; memory:// budgets count per process.",
];

/** Read the model kind argument of `add model`, rejecting anything else. */
export function parseModelKind(argument: string | undefined): ModelKind {
  const kind = MODEL_KINDS.find((item) => item === argument);
  if (!kind) {
    throw new UsageError(
      `Invalid model kind ${JSON.stringify(argument ?? "")}.`,
      "Run secure-fastapi add model safetensors or secure-fastapi add model transformers.",
    );
  }
  return kind;
}

/** Add a prediction route to a generated project, or the model serving limits to another project. */
export async function planModel(context: AddContext): Promise<AddPlan> {
  const { project, catalog } = context;
  const kind = parseModelKind(context.argument);
  if (!project.generated) {
    const plan = await planKit(project, MODEL_KIT, catalog, "model");
    if (!plan.alreadyPresent) plan.notes.push(...modelKitNotes(kind));
    return plan;
  }
  const options = generatedOptions(project);
  if (options.model === kind) {
    return presentPlan(project, `Model serving (${options.model}) is already part of this project: app/ml/.`);
  }
  if (options.model !== "none") {
    throw new CliError(
      `This project already serves a ${options.model} model (app/ml/), and add model cannot change the kind to ${kind}.`,
      {
        hint:
          `Switch by hand: generate a project with --model ${kind} and move its app/ml/, tests/ml/ and MODEL_* settings ` +
          "into this one; the Model serving section of each project's README.md describes the kind. Nothing was written.",
      },
    );
  }
  const plan = await planOptionChange(context, { model: kind });
  plan.notes.push(
    kind === "safetensors"
      ? "Put your architecture in app/ml/architecture.py and set MODEL_PATH to its safetensors weights (see README.md)."
      : "Set MODEL_PATH to a local sequence classification model directory with safetensors weights (see README.md).",
    ...(options.auth === "none" && !options.llm ? [API_KEY_NOTE] : []),
    "Install the new dependencies: pip install -e '.[dev]'.",
  );
  return plan;
}

function modelKitNotes(kind: ModelKind): string[] {
  const loading =
    kind === "safetensors"
      ? 'Load weights once in the lifespan handler: call check_safetensors_file(path, "MODEL_PATH") first, then safetensors.torch.load_file and load_state_dict(strict=True). Never torch.load a pickle.'
      : "Load the model once in the lifespan handler: resolve_model_directory(...), check_model_directory(...), then from_pretrained(directory, **LOCAL_ONLY_OPTIONS, use_safetensors=True).";
  return [
    loading,
    "Run each prediction with await run_inference(request, partial(model.predict, ...)), which answers 503 when MODEL_MAX_CONCURRENCY inferences are busy for MODEL_QUEUE_TIMEOUT_SECONDS.",
  ];
}
