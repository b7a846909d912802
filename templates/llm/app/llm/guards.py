"""Checks on the messages of LLM requests, and the chat built from them.

The defences are structural. The system prompt comes only from the server and
is sent as its own message, and client text is never formatted into it. Text
that spells a chat-template control token is rejected here, and a local model's
tokenizer also encodes it as plain text.

The injection phrase list is a signal for the logs, not a boundary: a
paraphrase, another language or an encoding passes it.
"""

import logging
import re
import unicodedata
from collections.abc import Sequence

from app.llm.backend import Chat, Message
from app.llm.schemas import ChatMessage, ChatRequest

logger = logging.getLogger(__name__)

INJECTION_PHRASES = (
    "ignore previous instructions",
    "ignore all previous instructions",
    "ignore the above",
    "disregard previous instructions",
    "forget your instructions",
    "reveal your system prompt",
    "you are now",
    "system:",
    "admin:",
)

# Turn delimiters of common chat templates (ChatML, Llama 3, Gemma, Mistral,
# Phi-3 and Zephyr). A client that sends one could try to open a system turn
# of its own with an upstream server whose tokenizer we do not control.
CONTROL_MARKERS = (
    "<|im_start|>",
    "<|im_end|>",
    "<|begin_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "<start_of_turn>",
    "<end_of_turn>",
    "[INST]",
    "[/INST]",
    "<<SYS>>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|end|>",
    "<|endoftext|>",
)

ZERO_WIDTH_CHARACTERS = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
WHITESPACE = re.compile(r"\s+")


def normalize_for_matching(text: str) -> str:
    """Fold case, compatibility forms and whitespace, and drop zero-width
    characters, so that "IGNORE  previous\u200binstructions" still matches."""
    text = unicodedata.normalize("NFKC", text)
    text = ZERO_WIDTH_CHARACTERS.sub("", text)
    return WHITESPACE.sub(" ", text).casefold()


def find_injection_phrases(text: str) -> list[str]:
    normalized = normalize_for_matching(text)
    return [phrase for phrase in INJECTION_PHRASES if phrase in normalized]


def log_injection_signals(messages: Sequence[ChatMessage], caller_id: str) -> int:
    """Log each user message that contains a known injection phrase, and return
    how many did. The message text is not logged."""
    flagged = 0
    for index, message in enumerate(messages):
        if message.role != "user":
            continue
        phrases = find_injection_phrases(message.content)
        if phrases:
            flagged += 1
            logger.warning(
                "Possible prompt injection from %s in message %d: %s",
                caller_id,
                index,
                ", ".join(phrases),
            )
    return flagged


def find_control_marker(text: str) -> str | None:
    folded = text.casefold()
    for marker in CONTROL_MARKERS:
        if marker.casefold() in folded:
            return marker
    return None


def build_chat(
    system_prompt: str, request: ChatRequest, model: str, max_tokens: int
) -> Chat:
    """Put the server's system prompt first and each client message after it,
    unchanged and with its own role."""
    messages = [Message(role="system", content=system_prompt)]
    messages.extend(Message(role=m.role, content=m.content) for m in request.messages)
    return Chat(
        model=model,
        messages=tuple(messages),
        max_tokens=max_tokens,
        temperature=request.temperature,
    )
