"""Settings for the LLM tests. The root conftest applies them before it imports
the application, because settings are read once per process."""

from pathlib import Path

MODEL_NAME = "tiny-chat"
SYSTEM_PROMPT = "You are a helpful assistant."
TOKEN_BUDGET = 2_000
MAX_TOKENS = 64
SECRET_PATTERN = r"sk-[A-Za-z0-9]{8,32}"


def llm_test_environment(test_dir: Path) -> dict[str, str]:
    return {
        "LLM_BACKEND": "local",
        "LLM_MODEL_PATH": str(test_dir / "llm-model"),
        "LLM_MODELS": MODEL_NAME,
        "LLM_SYSTEM_PROMPT": SYSTEM_PROMPT,
        "LLM_MAX_TOKENS": str(MAX_TOKENS),
        "LLM_TOKEN_BUDGET": str(TOKEN_BUDGET),
        # Slow enough that a test gets a noticeable refill only by waiting for it.
        "LLM_TOKENS_PER_MINUTE": "60",
        "LLM_REDACT_PATTERNS": SECRET_PATTERN,
    }
