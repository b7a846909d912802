import { quoteEnvValue } from "../../generator/escape.js";
import { generateSecretKey } from "../../generator/plan.js";
import { planKit } from "../existing.js";
import { findSettingsClasses } from "../python/settings.js";
import type { AddPlan } from "../plan.js";
import type { AddContext } from "./index.js";
import { authKit } from "./kits.js";

const ENV_FILE = ".env";

/** Give the project a random SECRET_KEY in .env, and keep .env out of git. */
async function addSecretKey(plan: AddPlan): Promise<void> {
  const { project } = plan;
  const env = (await project.read(ENV_FILE)) ?? "";
  if (!/^SECRET_KEY=/m.test(env)) {
    const separator = env === "" || env.endsWith("\n") ? "" : "\n";
    project.stage(ENV_FILE, `${env}${separator}SECRET_KEY=${quoteEnvValue(generateSecretKey())}\n`);
    plan.secretFiles.add(ENV_FILE);
  }
  const gitignore = await project.read(".gitignore");
  const ignored = (gitignore ?? "")
    .split("\n")
    .some((line) => ["/.env", ".env", ".env*", ".env.*"].includes(line.trim()));
  if (!ignored) {
    const base =
      gitignore === null || gitignore === "" || gitignore.endsWith("\n") ? (gitignore ?? "") : `${gitignore}\n`;
    project.stage(".gitignore", `${base}# Secrets for local development\n.env\n`);
  }
}

/** Plan JWT authentication for a project this tool did not generate. */
export async function planExistingAuth(context: AddContext): Promise<AddPlan> {
  const { project, catalog } = context;
  const plan = await planKit(project, authKit(await project.name()), catalog, "auth");
  if (plan.alreadyPresent || plan.manual.length > 0) return plan;
  await addSecretKey(plan);
  const settings = (await findSettingsClasses(project)).find((item) =>
    item.fields.some((name) => name.toLowerCase() === "secret_key"),
  );
  if (settings && !settings.node.text.includes("env_file")) {
    plan.notes.push(
      `${settings.name} in ${settings.module.path} does not read .env, so set SECRET_KEY in the environment before the application starts.`,
    );
  }
  plan.notes.push(
    "Protect a route with a `subject: CurrentSubject` parameter (from the new security module); it answers 401 without a valid bearer token.",
    "In your login route, take `token_settings: TokenSettingsDep` and return create_access_token(str(user.id), token_settings) once verify_password succeeds; rate limit that route.",
    "SECRET_KEY is in .env for development; set a different random one in each deployment's environment.",
  );
  return plan;
}
