"""Generation with the tiny local model, whole and streamed."""

import anyio
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.llm.auth import LLMCaller
from app.llm.backend import Chat, Message
from app.llm.deps import BudgetedPrompt
from app.llm.routes import stream
from app.llm.token_bucket import TokenReservation
from app.main import create_app
from tests.llm.environment import MAX_TOKENS, MODEL_NAME, SYSTEM_PROMPT, TOKEN_BUDGET
from tests.llm.helpers import (
    API_KEY_CALLER,
    GENERATE_URL,
    STREAM_URL,
    chat_body,
    llm_service,
    parse_events,
    streamed_text,
)
from tests.llm.tiny_model import REDACTED_REPLY, REPLY


def test_generate_redacts_reply(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    response = llm_client.post(GENERATE_URL, json=chat_body(), headers=key_headers)
    body = response.json()
    assert response.status_code == 200
    assert body["text"] == REDACTED_REPLY
    assert "123-45-6789" not in response.text
    assert "4111" not in response.text
    assert body["model"] == MODEL_NAME
    assert body["finish_reason"] == "stop"


def test_generate_reports_usage(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    response = llm_client.post(GENERATE_URL, json=chat_body(), headers=key_headers)
    usage = response.json()["usage"]
    # The reply's words plus the end-of-text token.
    assert usage["completion_tokens"] == len(REPLY.split()) + 1
    assert usage["prompt_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_generate_stops_at_max_tokens(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    body = chat_body(max_tokens=2, temperature=0)
    response = llm_client.post(GENERATE_URL, json=body, headers=key_headers)
    assert response.status_code == 200
    assert response.json()["text"] == "Reach me"
    assert response.json()["finish_reason"] == "length"
    assert response.json()["usage"]["completion_tokens"] == 2


def test_stream_matches_whole_reply(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    response = llm_client.post(STREAM_URL, json=chat_body(), headers=key_headers)
    events = parse_events(response.text)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert streamed_text(events) == REDACTED_REPLY
    assert "123-45-6789" not in response.text
    assert "4111" not in response.text


def test_stream_ends_with_done_event(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    response = llm_client.post(STREAM_URL, json=chat_body(), headers=key_headers)
    name, data = parse_events(response.text)[-1]
    assert name == "done"
    assert data["finish_reason"] == "stop"
    assert data["usage"]["completion_tokens"] == len(REPLY.split()) + 1


def test_stream_sends_several_events(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    response = llm_client.post(STREAM_URL, json=chat_body(), headers=key_headers)
    messages = [event for event in parse_events(response.text) if event[0] == "message"]
    assert len(messages) > 1


def test_busy_model_gets_503(
    llm_client: TestClient, key_headers: dict[str, str], settings: Settings
) -> None:
    busy = settings.model_copy(
        update={"LLM_MAX_CONCURRENCY": 1, "LLM_QUEUE_TIMEOUT_SECONDS": 0.05}
    )
    with TestClient(create_app(busy)) as client:
        limiter = llm_service(client).backend.limiter  # type: ignore[attr-defined]
        assert client.portal is not None
        with client.portal.wrap_async_context_manager(limiter.slot()):
            whole = client.post(GENERATE_URL, json=chat_body(), headers=key_headers)
            streamed = client.post(STREAM_URL, json=chat_body(), headers=key_headers)
        after = client.post(GENERATE_URL, json=chat_body(), headers=key_headers)
    assert whole.status_code == 503
    assert whole.headers["Retry-After"] == "1"
    assert parse_events(streamed.text)[-1][0] == "error"
    assert after.status_code == 200


def test_stream_closed_early_stops_and_settles(
    llm_client: TestClient, key_headers: dict[str, str]
) -> None:
    service = llm_service(llm_client)
    chat = Chat(
        model=MODEL_NAME,
        messages=(Message("system", SYSTEM_PROMPT), Message("user", "hello")),
        max_tokens=MAX_TOKENS,
        temperature=0.0,
    )
    prompt = service.backend.prepare(chat)
    cost = prompt.prompt_tokens + MAX_TOKENS

    async def read_first_event() -> tuple[TokenReservation, bool]:
        assert (await service.token_bucket.reserve(API_KEY_CALLER, cost)).granted
        reservation = TokenReservation(service.token_bucket, API_KEY_CALLER, cost)
        caller = LLMCaller(id=API_KEY_CALLER)
        budgeted = BudgetedPrompt(prompt=prompt, reservation=reservation)
        events = stream(budgeted, caller, service)
        await anext(events)
        await events.aclose()
        # The slot is free again once the generation thread has stopped.
        limiter = service.backend.limiter  # type: ignore[attr-defined]
        with anyio.fail_after(5):
            async with limiter.slot():
                pass
        # Granted only if most of the unused max_tokens came back.
        rest = TOKEN_BUDGET - cost + MAX_TOKENS // 2
        refill = await service.token_bucket.reserve(API_KEY_CALLER, rest)
        return reservation, refill.granted

    assert llm_client.portal is not None
    reservation, refunded = llm_client.portal.call(read_first_event)
    assert reservation.settled
    assert refunded
