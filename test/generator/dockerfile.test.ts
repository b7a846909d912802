import { describe, expect, it } from "vitest";
import { defaultOptions, type ProjectOptions } from "../../src/generator/options.js";
import { planProject } from "../../src/generator/plan.js";

const SECRET_KEY = "dockerfile-test-secret-".padEnd(64, "x");
const MODEL_MOUNT = "/models";
const TORCH_INDEX_ARG = "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu";
// The only build context paths that the image may copy, so .env and tests stay out.
const COPIED_SOURCES = ["pyproject.toml", "README.md", "alembic.ini", "alembic", "app"];

interface RenderedProject {
  dockerfile: string;
  readme: string;
  envExample: string;
  pyproject: string;
}

async function renderProject(overrides: Partial<ProjectOptions>): Promise<RenderedProject> {
  const options = { ...defaultOptions(), ...overrides };
  const files = await planProject({ name: "demo-api", options, generatorVersion: "0.0.0" }, SECRET_KEY);
  const byPath = new Map(files.map((file) => [file.path, file.content]));
  const read = (path: string): string => {
    const content = byPath.get(path);
    if (content === undefined) throw new Error(`The plan has no ${path}`);
    return content;
  };
  return {
    dockerfile: read("Dockerfile"),
    readme: read("README.md"),
    envExample: read(".env.example"),
    pyproject: read("pyproject.toml"),
  };
}

function label(options: Partial<ProjectOptions>): string {
  return `auth ${options.auth}, llm ${options.llm}, model ${options.model}`;
}

const AI_OPTIONS: Partial<ProjectOptions>[] = [];
const PLAIN_OPTIONS: Partial<ProjectOptions>[] = [];
for (const auth of ["jwt", "none"] as const) {
  for (const llm of [false, true]) {
    for (const model of ["none", "safetensors", "transformers"] as const) {
      const options = { auth, llm, model };
      (llm || model !== "none" ? AI_OPTIONS : PLAIN_OPTIONS).push(options);
    }
  }
}

/** Return the index of the only line that satisfies the predicate. */
function lineIndex(lines: string[], predicate: (line: string) => boolean, description: string): number {
  const matches = lines.flatMap((line, index) => (predicate(line) ? [index] : []));
  expect(matches, `lines with ${description}`).toHaveLength(1);
  return matches[0] ?? -1;
}

/** Return the value given to NAME by an ENV instruction, or undefined. */
function dockerEnv(dockerfile: string, name: string): string | undefined {
  return new RegExp(`^(?:ENV)?\\s+${name}=(\\S+?)\\s*\\\\?$`, "m").exec(dockerfile)?.[1];
}

/** Return the value of NAME in .env.example, where model paths are commented-out examples. */
function envExampleValue(envExample: string, name: string): string | undefined {
  return new RegExp(`^#? ?${name}=(\\S*)$`, "m").exec(envExample)?.[1];
}

/** Return the value of NAME in a `-e NAME=value` flag of the README's docker run command. */
function dockerRunEnv(readme: string, name: string): string | undefined {
  return new RegExp(`^\\s+-e ${name}=(\\S+) \\\\$`, "m").exec(readme)?.[1];
}

function torchRequirement(pyproject: string): string | undefined {
  return /^\s+"(torch[^"]*)",$/m.exec(pyproject)?.[1];
}

function modelSettings(options: Partial<ProjectOptions>): string[] {
  return [...(options.llm ? ["LLM_MODEL_PATH"] : []), ...(options.model !== "none" ? ["MODEL_PATH"] : [])];
}

describe("Dockerfile of AI projects", () => {
  it.each(AI_OPTIONS.map((options) => [label(options), options] as const))(
    "%s: installs torch before the project",
    async (_label, options) => {
      const { dockerfile, pyproject } = await renderProject(options);
      const lines = dockerfile.split("\n");
      const argLine = lineIndex(lines, (line) => line === TORCH_INDEX_ARG, "the TORCH_INDEX_URL argument");
      const torchLine = lineIndex(lines, (line) => line.includes("torch>="), "the torch install");
      const projectLine = lineIndex(lines, (line) => /^RUN pip install \.(\s|$)/.test(line), "pip install .");
      const firstCopy = lines.findIndex((line) => line.startsWith("COPY "));
      expect(argLine).toBeLessThan(torchLine);
      expect(torchLine).toBeLessThan(projectLine);
      // Before the code is copied, so that a code change reuses the torch layer.
      expect(torchLine).toBeLessThan(firstCopy);
      expect(lines[torchLine]).toBe(`RUN pip install --index-url "$TORCH_INDEX_URL" "${torchRequirement(pyproject)}"`);
      expect(torchRequirement(pyproject)).toMatch(/^torch>=\d/);
    },
  );

  it.each(AI_OPTIONS.map((options) => [label(options), options] as const))(
    "%s: model paths match README and .env.example",
    async (_label, options) => {
      const { dockerfile, readme, envExample } = await renderProject(options);
      expect(dockerfile).toContain(`RUN mkdir ${MODEL_MOUNT}\n`);
      expect(readme).toContain(`-v /path/on/host/models:${MODEL_MOUNT}:ro \\\n`);
      expect(readme).toContain("--build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu");
      const settings = modelSettings(options);
      expect(settings.length).toBeGreaterThan(0);
      for (const name of settings) {
        const imageDefault = dockerEnv(dockerfile, name);
        expect(imageDefault, `${name} in the Dockerfile`).toMatch(new RegExp(`^${MODEL_MOUNT}/[a-z.]+$`));
        expect(envExampleValue(envExample, name), `${name} in .env.example`).toBe(imageDefault);
        expect(dockerRunEnv(readme, name), `${name} in the README`).toBe(imageDefault);
      }
      for (const name of ["LLM_MODEL_PATH", "MODEL_PATH"].filter((item) => !settings.includes(item))) {
        expect(dockerEnv(dockerfile, name), `${name} in the Dockerfile`).toBeUndefined();
        expect(dockerRunEnv(readme, name), `${name} in the README`).toBeUndefined();
      }
    },
  );

  it.each(AI_OPTIONS.map((options) => [label(options), options] as const))(
    "%s: Hub cache under the mount",
    async (_label, options) => {
      const { dockerfile, readme } = await renderProject(options);
      const hubCache = dockerEnv(dockerfile, "HF_HUB_CACHE");
      if (options.llm || options.model === "transformers") {
        expect(hubCache).toBe(`${MODEL_MOUNT}/huggingface/hub`);
        expect(dockerEnv(dockerfile, "HF_HUB_OFFLINE")).toBe("1");
        expect(readme).toContain(`--cache-dir /path/on/host/models/huggingface/hub`);
      } else {
        expect(hubCache).toBeUndefined();
        expect(readme).not.toContain("--cache-dir");
      }
    },
  );
});

describe("Dockerfile of every project", () => {
  it.each([...AI_OPTIONS, ...PLAIN_OPTIONS].map((options) => [label(options), options] as const))(
    "%s: copies no secret or .env",
    async (_label, options) => {
      const { dockerfile } = await renderProject(options);
      const lines = dockerfile.split("\n");
      const copies = lines.filter((line) => line.startsWith("COPY "));
      expect(copies.length).toBeGreaterThan(0);
      for (const copy of copies) {
        // COPY SOURCE... DESTINATION
        for (const source of copy.split(/\s+/).slice(1, -1)) {
          expect(COPIED_SOURCES, copy).toContain(source);
        }
      }
      expect(lines.filter((line) => line.startsWith("ADD "))).toEqual([]);
      const instructions = lines.filter((line) => !line.startsWith("#"));
      expect(instructions.filter((line) => line.includes(".env"))).toEqual([]);
      expect(dockerfile).not.toContain(SECRET_KEY);
      expect(dockerfile).not.toMatch(/^(ENV|ARG)\s+\S*(SECRET|PASSWORD|API_KEY)/m);
      // Every RUN happens before the switch to the unprivileged user.
      const userLine = lineIndex(lines, (line) => line.startsWith("USER "), "USER");
      expect(lines[userLine]).toBe("USER app");
      expect(lines.slice(userLine).filter((line) => line.startsWith("RUN "))).toEqual([]);
    },
  );
});

describe("Dockerfile of projects without models", () => {
  it.each(PLAIN_OPTIONS.map((options) => [label(options), options] as const))(
    "%s: no torch step or model mount",
    async (_label, options) => {
      const { dockerfile, readme } = await renderProject(options);
      expect(dockerfile).not.toContain("torch");
      expect(dockerfile).not.toContain("TORCH_INDEX_URL");
      expect(dockerfile).not.toContain(MODEL_MOUNT);
      expect(dockerfile).not.toContain("HF_HUB");
      expect(dockerfile).toContain(
        "RUN pip install . \\\n    && mkdir -p /app/data \\\n    && chown app:app /app/data\n\nUSER app\n",
      );
      expect(readme).not.toContain(`:${MODEL_MOUNT}`);
      expect(readme).not.toContain("TORCH_INDEX_URL");
      expect(readme).toContain("    -v app-data:/app/data demo-api\n");
    },
  );
});
