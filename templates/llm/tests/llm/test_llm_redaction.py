"""Redaction of SSNs, card numbers and configured patterns, whole and streamed."""

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.llm.redaction import (
    CARD_LABEL,
    CUSTOM_LABEL,
    SSN_LABEL,
    Redactor,
    check_redaction_pattern,
    luhn_valid,
)
from tests.llm.environment import SECRET_PATTERN

REDACTOR = Redactor([SECRET_PATTERN])


def redact(text: str) -> str:
    return REDACTOR.redact(text)[0]


def stream_redact(chunks: list[str], redactor: Redactor = REDACTOR) -> str:
    stream = redactor.stream()
    parts = [stream.feed(chunk) for chunk in chunks]
    parts.append(stream.flush())
    return "".join(parts)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSN 123-45-6789.", f"SSN {SSN_LABEL}."),
        ("SSN 123 45 6789", f"SSN {SSN_LABEL}"),
        ("card 4111111111111111", f"card {CARD_LABEL}"),
        ("card 4111 1111 1111 1111!", f"card {CARD_LABEL}!"),
        ("card 4111-1111-1111-1111", f"card {CARD_LABEL}"),
        ("amex 3782 822463 10005", f"amex {CARD_LABEL}"),
        ("ref 12 4111 1111 1111 1111", f"ref 12 {CARD_LABEL}"),
        ("key sk-abcDEF123456", f"key {CUSTOM_LABEL}"),
        ("a 123-45-6789 b 5500 0000 0000 0004", f"a {SSN_LABEL} b {CARD_LABEL}"),
    ],
)
def test_sensitive_value_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # fails the Luhn check
        "order 41111111111111110000",  # one block of 22 digits
        "000-12-3456",  # area 000 is never issued
        "666-12-3456",
        "912-34-5678",
        "123-00-4567",
        "123-45-0000",
        "123-45 6789",  # mixed separators
        "1234-56-7890",
        "phone 555-0100",
        "version 1.2.3",
    ],
)
def test_other_numbers_kept(text: str) -> None:
    assert redact(text) == text


def test_redaction_counts_values() -> None:
    text, count = REDACTOR.redact("123-45-6789 and 4111111111111111")
    assert count == 2
    assert "6789" not in text


def test_ssn_inside_digit_run_redacted() -> None:
    # The digit run "1234 123-45-6789" is no card, and its SSN is still found.
    assert redact("1234 123-45-6789") == f"1234 {SSN_LABEL}"


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4111111111111111", True), ("79927398713", True), ("79927398710", False)],
)
def test_luhn_check(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"secret-\w+", "more than"),
        (r"x*", "empty string"),
        (r"(unclosed", "not a valid regular expression"),
        (r"(?=\d{300})x", "more than"),
    ],
)
def test_unsafe_pattern_rejected(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_redaction_pattern(pattern)


def test_bounded_pattern_accepted() -> None:
    assert check_redaction_pattern(SECRET_PATTERN) == SECRET_PATTERN


TEXT = "My SSN is 123-45-6789, card 4111 1111 1111 1111, key sk-abcDEF123456."


@pytest.mark.parametrize("split", range(len(TEXT) + 1))
def test_stream_split_in_two(split: int) -> None:
    assert stream_redact([TEXT[:split], TEXT[split:]]) == redact(TEXT)


def test_stream_one_character_at_a_time() -> None:
    assert stream_redact(list(TEXT)) == redact(TEXT)


def test_stream_holds_back_partial_number() -> None:
    stream = REDACTOR.stream()
    sent = stream.feed("Card: 4111 1111 1111")
    assert "4111" not in sent
    rest = stream.feed(" 1111 thanks") + stream.flush()
    assert (sent + rest) == f"Card: {CARD_LABEL} thanks"


def test_stream_sends_text_before_window() -> None:
    stream = REDACTOR.stream()
    sent = stream.feed("x" * (REDACTOR.window + 10))
    assert sent == "x" * 10


def test_stream_counts_values() -> None:
    stream = REDACTOR.stream()
    stream.feed(TEXT[:20])
    stream.feed(TEXT[20:])
    stream.flush()
    assert stream.redacted_count == REDACTOR.redact(TEXT)[1]


FRAGMENTS = [
    "123-45-6789",
    "123 45 6789",
    "078-05-1120",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "4111111111111111",
    "5500 0000 0000 0004",
    "3782 822463 10005",
    "4000 0000 0000 0000 006",
    "12 4111 1111 1111 1111",
    "4111 1111 1111 1112",
    "sk-abcDEF123456",
    "sk-",
    " ",
    "-",
    "\n",
    "ref ",
    "SSN: ",
]
text_strategy = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(alphabet="0123456789 -skabc\n", max_size=8),
    ),
    max_size=25,
).map("".join)


@settings(max_examples=400, deadline=None, database=None)
@given(text=text_strategy, data=st.data())
def test_stream_equals_whole_for_any_chunking(text: str, data: st.DataObject) -> None:
    cuts = data.draw(
        st.lists(st.integers(min_value=0, max_value=len(text)), max_size=12)
    )
    bounds = [0, *sorted(cuts), len(text)]
    chunks = [text[start:end] for start, end in pairwise(bounds)]
    assert "".join(chunks) == text
    assert stream_redact(chunks) == redact(text)


@settings(max_examples=100, deadline=None, database=None)
@given(text=text_strategy, size=st.integers(min_value=1, max_value=7))
def test_stream_equals_whole_for_fixed_chunks(text: str, size: int) -> None:
    chunks = [text[index : index + size] for index in range(0, len(text), size)]
    assert stream_redact(chunks) == redact(text)
