"""Redaction of sensitive values in model output, for whole texts and streams.

Built in: US social security numbers (AAA-GG-SSSS with dashes or spaces, valid
area, group and serial) and payment card numbers (13 to 19 digits, optionally
grouped by single spaces or dashes, that pass the Luhn check). Operators add
regular expressions with LLM_REDACT_PATTERNS.

Every pattern is searched on its own, and each character inside a span that
any pattern reports is redacted. A match of one pattern therefore never hides
a match of another.

StreamRedactor holds back the last characters of the stream, enough to contain
any match, so for every way of splitting a text into chunks the streamed
output equals `Redactor.redact` of the whole text.

This module imports nothing from the application, so the settings can use it
to validate LLM_REDACT_PATTERNS.
"""

import re
import re._parser as regex_parser  # NOTE: CPython's private regex parser (3.11+)
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

SSN_LABEL = "[REDACTED SSN]"
CARD_LABEL = "[REDACTED CARD]"
CUSTOM_LABEL = "[REDACTED]"

# Area 000, 666 and 900-999, group 00 and serial 0000 are never issued.
SSN_PATTERN = r"(?<!\d)(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?!\d)"
# A run of 13 to 24 digits with at most one space or dash between digits. The
# run may contain a card and a few more digits ("ref 12 4111 1111 1111 1111");
# card_spans looks for the card inside it.
DIGIT_RUN_PATTERN = r"(?<!\d)(?<!\d[ -])\d(?:[ -]?\d){12,23}(?![ -]?\d)"
CARD_MIN_DIGITS = 13
CARD_MAX_DIGITS = 19
DIGIT_GROUP = re.compile(r"\d+")

# Longest match plus lookaround, in characters, allowed for any pattern.
MAX_PATTERN_WIDTH = 256

Span = tuple[int, int, str]
SpanFinder = Callable[[re.Match[str]], Iterable[Span]]


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, character in enumerate(reversed(digits)):
        value = int(character)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def whole_match(label: str) -> SpanFinder:
    def find(match: re.Match[str]) -> Iterable[Span]:
        return [(match.start(), match.end(), label)]

    return find


def card_spans(match: re.Match[str]) -> Iterator[Span]:
    """Yield each sequence of whole digit groups in the run that is a card number.

    Only whole groups count, so an order number that is one long block of digits
    is never cut into a card-shaped piece.
    """
    groups = list(DIGIT_GROUP.finditer(match.group()))
    offset = match.start()
    for first in range(len(groups)):
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last].group()
            if len(digits) > CARD_MAX_DIGITS:
                break
            if len(digits) >= CARD_MIN_DIGITS and luhn_valid(digits):
                start = offset + groups[first].start()
                yield (start, offset + groups[last].end(), CARD_LABEL)


def iter_subpatterns(value: Any) -> Iterator[Any]:
    if isinstance(value, regex_parser.SubPattern):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from iter_subpatterns(item)


def lookaround_width(pattern: Any) -> int:
    """Sum of the widths of all lookarounds, which getwidth() leaves out."""
    total = 0
    for operator, argument in pattern:
        for nested in iter_subpatterns(argument):
            if operator in (regex_parser.ASSERT, regex_parser.ASSERT_NOT):
                total += nested.getwidth()[1]
            total += lookaround_width(nested)
    return total


def pattern_width(expression: str) -> tuple[int, int]:
    """Return the shortest match and an upper bound on the characters that one
    match attempt reads: the longest match plus every lookaround."""
    parsed = regex_parser.parse(expression)
    shortest, longest = parsed.getwidth()
    return shortest, min(longest + lookaround_width(parsed), regex_parser.MAXREPEAT)


def check_redaction_pattern(expression: str) -> str:
    """Raise ValueError unless the expression compiles, never matches the empty
    string and reads at most MAX_PATTERN_WIDTH characters per match."""
    try:
        re.compile(expression)
    except re.error as error:
        message = f"{expression!r} is not a valid regular expression: {error}"
        raise ValueError(message) from error
    shortest, longest = pattern_width(expression)
    if shortest == 0:
        raise ValueError(f"{expression!r} matches the empty string")
    if longest > MAX_PATTERN_WIDTH:
        raise ValueError(
            f"{expression!r} can match more than {MAX_PATTERN_WIDTH} characters. "
            "Use bounded repeats such as {1,40} instead of + or *"
        )
    return expression


@dataclass(frozen=True)
class RedactionRule:
    pattern: re.Pattern[str]
    find_spans: SpanFinder


class Redactor:
    """Replace sensitive values with labels such as [REDACTED CARD]."""

    def __init__(self, extra_patterns: Sequence[str] = ()) -> None:
        rules = [
            RedactionRule(re.compile(SSN_PATTERN), whole_match(SSN_LABEL)),
            RedactionRule(re.compile(DIGIT_RUN_PATTERN), card_spans),
        ]
        for expression in extra_patterns:
            check_redaction_pattern(expression)
            rules.append(
                RedactionRule(re.compile(expression), whole_match(CUSTOM_LABEL))
            )
        self.rules = tuple(rules)
        expressions = [rule.pattern.pattern for rule in self.rules]
        # One more character than any attempt reads, for `$` and `\b` at the end.
        self.window = max(pattern_width(expression)[1] for expression in expressions)
        self.window += 1

    def redact(self, text: str) -> tuple[str, int]:
        """Return the redacted text and the number of values replaced."""
        matches = self.find_matches(text, 0)
        return apply_spans(text, 0, len(text), matches)

    def find_matches(self, text: str, start: int) -> list[tuple[re.Match[str], Span]]:
        """Find every redacted span whose pattern match starts at `start` or later.

        Characters before `start` stay visible to lookbehind assertions.
        """
        found = []
        for rule in self.rules:
            for match in rule.pattern.finditer(text, start):
                found.extend((match, span) for span in rule.find_spans(match))
        return found

    def stream(self) -> "StreamRedactor":
        return StreamRedactor(self)


def apply_spans(
    text: str, start: int, end: int, matches: Iterable[tuple[re.Match[str], Span]]
) -> tuple[str, int]:
    """Redact text[start:end], merging overlapping spans into one label."""
    spans = sorted(span for _match, span in matches if span[1] <= end)
    merged: list[list[Any]] = []
    for span_start, span_end, label in spans:
        if merged and span_start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], span_end)
            if last[2] != label:
                last[2] = CUSTOM_LABEL
        else:
            merged.append([span_start, span_end, label])
    parts = []
    position = start
    for span_start, span_end, label in merged:
        parts.append(text[position:span_start])
        parts.append(label)
        position = span_end
    parts.append(text[position:end])
    return "".join(parts), len(merged)


class StreamRedactor:
    """Redact a stream of text chunks and return the text that is safe to send.

    A match attempt reads at most `window` characters, so a match that starts
    `window` characters before the end of the buffer is final: later chunks
    cannot change it. The redactor sends text up to a cut point that no final
    match crosses and keeps the rest, plus `window` characters of context for
    lookbehind assertions.
    """

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.buffer = ""
        self.start = 0
        self.redacted_count = 0

    def feed(self, chunk: str) -> str:
        self.buffer += chunk
        matches = self.redactor.find_matches(self.buffer, self.start)
        cut = len(self.buffer) - self.redactor.window
        final = [item for item in matches if item[0].start() < cut]
        crossing = True
        while crossing and cut > self.start:
            crossing = False
            for match, _span in final:
                if match.start() < cut < match.end():
                    cut = match.start()
                    crossing = True
        if cut <= self.start:
            return ""
        return self.emit(cut, matches)

    def flush(self) -> str:
        """Return the redacted rest of the stream. Call once, at its end."""
        matches = self.redactor.find_matches(self.buffer, self.start)
        return self.emit(len(self.buffer), matches)

    def emit(self, cut: int, matches: list[tuple[re.Match[str], Span]]) -> str:
        before_cut = [item for item in matches if item[0].start() < cut]
        text, count = apply_spans(self.buffer, self.start, cut, before_cut)
        self.redacted_count += count
        context_start = max(0, cut - self.redactor.window)
        self.buffer = self.buffer[context_start:]
        self.start = cut - context_start
        return text
