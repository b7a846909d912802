import { describe, expect, it } from "vitest";
import { scanPaths } from "../../src/scanner/index.js";
import { makeProject } from "./helpers.js";

const BOUNDED_MODEL = `from pydantic import BaseModel, Field


class LLMRequest(BaseModel):
    prompt: str = Field(max_length=4000)
`;

const UNBOUNDED_MODEL = `from pydantic import BaseModel


class LLMRequest(BaseModel):
    prompt: str
`;

function llmRoute(importLine: string): string {
  return `${importLine}
from fastapi import FastAPI
from openai import AsyncOpenAI

app = FastAPI()
client = AsyncOpenAI()


@app.post("/complete")
async def complete(body: LLMRequest):
    result = await client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": body.prompt}],
    )
    return result
`;
}

async function unboundedModelFindings(files: Record<string, string>): Promise<string[]> {
  const root = makeProject(files);
  const report = await scanPaths(["."], { cwd: root, useConfig: false, rules: ["SFA010"] });
  expect(report.errors).toEqual([]);
  return report.findings.map((finding) => `${finding.path}:${finding.line}`).sort();
}

describe("class facts across files", () => {
  it("prefers the class defined in the same file", async () => {
    const found = await unboundedModelFindings({
      "app/api.py": `${BOUNDED_MODEL}\n\n${llmRoute("")}`,
      "other/models.py": UNBOUNDED_MODEL,
    });
    expect(found).toEqual([]);
  });

  it("still reports an unbounded same-file class", async () => {
    const found = await unboundedModelFindings({
      "app/api.py": `${UNBOUNDED_MODEL}\n\n${llmRoute("")}`,
      "other/models.py": BOUNDED_MODEL,
    });
    expect(found).toEqual(["app/api.py:17"]);
  });

  it("uses the module an absolute import names", async () => {
    const found = await unboundedModelFindings({
      "app/models.py": BOUNDED_MODEL,
      "app/api.py": llmRoute("from app.models import LLMRequest"),
      "other/models.py": UNBOUNDED_MODEL,
      "other/api.py": llmRoute("from other.models import LLMRequest"),
    });
    expect(found).toEqual(["other/api.py:10"]);
  });

  it("resolves relative imports", async () => {
    const found = await unboundedModelFindings({
      "src/app/models.py": BOUNDED_MODEL,
      "src/app/api.py": llmRoute("from .models import LLMRequest"),
      "src/other/models.py": UNBOUNDED_MODEL,
      "src/other/routes/api.py": llmRoute("from ..models import LLMRequest"),
    });
    expect(found).toEqual(["src/other/routes/api.py:10"]);
  });

  it("reports nothing when the definition is ambiguous", async () => {
    const found = await unboundedModelFindings({
      "a/models.py": BOUNDED_MODEL,
      "b/models.py": UNBOUNDED_MODEL,
      "c/api.py": llmRoute("from shared.schemas import LLMRequest"),
    });
    expect(found).toEqual([]);
  });

  it("uses the only definition in the project", async () => {
    const found = await unboundedModelFindings({
      "app/schemas.py": UNBOUNDED_MODEL,
      "app/api.py": llmRoute("from app.models import LLMRequest"),
    });
    expect(found).toEqual(["app/api.py:10"]);
  });
});

const SCHEMAS = `from pydantic import BaseModel
from sqlmodel import Field, SQLModel


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str
    hashed_password: str


class UserOut(BaseModel):
    email: str
    hashed_password: str


class Token(BaseModel):
    access_token: str
    token_type: str
`;

const ROUTES = `from fastapi import APIRouter, Depends

from app.auth import get_current_user
from app.schemas import Token, User, UserOut

router = APIRouter()


@router.get("/me", response_model=UserOut)
def read_me(current: User = Depends(get_current_user)):
    return current


@router.post("/session", response_model=Token)
def create_session(current: User = Depends(get_current_user)):
    return Token(access_token="signed", token_type="bearer")


@router.get("/me/hash")
def read_hash(current: User = Depends(get_current_user)):
    return {"hash": current.hashed_password}
`;

describe("response models across files", () => {
  it("uses field facts of imported output and table models", async () => {
    const root = makeProject({ "app/schemas.py": SCHEMAS, "app/routes.py": ROUTES });
    const report = await scanPaths(["."], { cwd: root, useConfig: false, rules: ["SFA007"] });
    expect(report.errors).toEqual([]);
    const found = report.findings.map((finding) => `${finding.path}:${finding.line}`).sort();
    expect(found).toEqual(["app/routes.py:21", "app/routes.py:9"]);
  });

  it("reports nothing when the models are not scanned", async () => {
    const root = makeProject({ "app/routes.py": ROUTES });
    const report = await scanPaths(["."], { cwd: root, useConfig: false, rules: ["SFA007"] });
    expect(report.findings).toEqual([]);
  });
});
