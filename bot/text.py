"""User text made safe before anything else looks at it: one cleaner, one number parser.

Everything a user types (a command line, a query, a room, a day, an autocomplete prefix)
goes through `clean_text` before it reaches the store, so the store and SQLite only ever see
NFC text without control or bidi characters, without lone surrogates (which SQLite cannot
bind: they are not encodable as UTF-8), with whitespace folded and within a length cap.
`parse_number` is the one place a typed number is read: ASCII digits only (``"²".isdigit()``
is True but ``int("²")`` raises), within bounds.
"""

from __future__ import annotations

import re
import unicodedata

# Arguments (queries, rooms, days) are cut to this many characters.
MAX_ARGUMENT_LENGTH = 200
# Raw input beyond this many characters is never looked at (normalising a megabyte of
# text would cost more than any answer is worth).
MAX_RAW_LENGTH = 8192
# A typed number has at most this many digits (int() of a 5,000-digit string raises).
MAX_DIGITS = 9

REPLACEMENT = "\ufffd"

# C0 and C1 controls (tab and newline are whitespace, folded below), zero-width and bidi
# controls (marks, embeddings, overrides, isolates), the word joiner family and the BOM.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    r"\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ASCII_NUMBER = re.compile(r"[0-9]+", re.ASCII)


def replace_surrogates(text: str) -> str:
    """`text` with surrogate pairs joined into the characters they stand for and every lone
    surrogate replaced by U+FFFD, so it can be encoded as UTF-8."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def clean_text(text: str, limit: int = MAX_ARGUMENT_LENGTH) -> tuple[str, bool]:
    """NFC, controls and bidi characters out, lone surrogates replaced, whitespace folded,
    cut to `limit` characters. Returns the text and whether it had to be shortened."""
    shortened = len(text) > MAX_RAW_LENGTH
    text = replace_surrogates(text[:MAX_RAW_LENGTH])
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) > limit:
        return text[:limit].rstrip(), True
    return text, shortened


def clean(text: str, limit: int = MAX_ARGUMENT_LENGTH) -> str:
    """`clean_text` without the shortened flag."""
    return clean_text(text, limit)[0]


def parse_number(
    text: str, *, minimum: int = 0, maximum: int = 10**MAX_DIGITS - 1, clamp: bool = True
) -> int | None:
    """A whole number typed as ASCII digits (surrounding spaces allowed), else None.

    Out of [minimum, maximum] it is clamped into the range, or None when `clamp` is False.
    Digits of other scripts, superscripts and circled numbers are not numbers here.
    """
    digits = text.strip()
    if not _ASCII_NUMBER.fullmatch(digits):
        return None
    digits = digits.lstrip("0") or "0"
    value = int(digits) if len(digits) <= MAX_DIGITS else None
    if value is not None and minimum <= value <= maximum:
        return value
    if not clamp:
        return None
    return minimum if value is not None and value < minimum else maximum
