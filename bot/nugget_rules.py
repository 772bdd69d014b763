"""Community nuggets: the pure rules, with no I/O (the store side is
bot/store/community_nuggets.py, the queue's operations bot/commands/nugget_queue.py).

What a submitted quote may be (length limits), the one normal form duplicates are found by
(case, punctuation and filler words do not count), where a quote stands in a talk's timed
transcript, chat markup turned into plain words (a Slack ``<!everyone>`` or ``<@U123>`` is
stored as the text "@everyone", so it can never ping when it is quoted later), and the link
to the message a nugget was saved from.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MIN_LENGTH = 8
MAX_LENGTH = 500
MAX_PER_HOUR = 10

# Sounds a transcript or a quick note keeps that the speaker's words do not ("um", "uh");
# the bundled data removes the same (data/README.md).
FILLER_WORDS = frozenset({"um", "umm", "uh", "uhm", "uhh", "er", "erm", "ah", "hmm", "mm", "mhm"})

_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_WORD = re.compile(r"[^\w]+")
# Slack's message markup: <!everyone>, <!here>, <!channel>, <!subteam^S1|@team>, <@U1|name>,
# <#C1|general>, <https://x|label>, and the escapes &lt; &gt; &amp;.
_SLACK_MARKUP = re.compile(r"<([!@#])([^<>|]*)(?:\|([^<>]*))?>|<([^<>|]+)(?:\|([^<>]*))?>")
_SLACK_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def words(text: str) -> list[str]:
    """The words of `text` as duplicates and transcripts are compared: NFKC, case folded,
    apostrophes dropped ("it's" is "its"), punctuation as spaces, filler words out."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _APOSTROPHES.sub("", folded)
    return [
        w for w in _NOT_WORD.sub(" ", folded).replace("_", " ").split() if w not in FILLER_WORDS
    ]


def normalised(text: str) -> str:
    """The one normal form two quotes are the same by."""
    return " ".join(words(text))


def length_problem(text: str) -> str | None:
    """Why `text` (already cleaned) cannot be a nugget, or None."""
    if len(text) < MIN_LENGTH or not words(text):
        return f"A nugget needs at least {MIN_LENGTH} characters of words."
    if len(text) > MAX_LENGTH:
        return (
            f"A nugget is at most {MAX_LENGTH} characters (this one has {len(text)}); "
            "save the sentence or two that matter."
        )
    return None


def slack_plain(text: str) -> str:
    """Slack message markup as the words a reader sees: `<!everyone>` -> "@everyone",
    `<@U1|ada>` -> "@ada", `<#C1|general>` -> "#general", a link -> its label or URL."""

    def plain(match: re.Match[str]) -> str:
        sigil, target, label, url, url_label = match.groups()
        if url is not None:
            return url_label or url
        if sigil == "!":
            name = target.partition("^")[0]
            return label or f"@{name}"
        return f"{sigil}{label or target}"

    text = _SLACK_MARKUP.sub(plain, text)
    for escaped, raw in _SLACK_ESCAPES:
        text = text.replace(escaped, raw)
    return text


def discord_link(guild_id: str, channel_id: str, message_id: str) -> str:
    """The link to a Discord message ('@me' for a direct message)."""
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"


def slack_link(team_domain: str, channel_id: str, ts: str) -> str:
    """A Slack message link built from its parts, as chat.getPermalink would give it."""
    return f"https://{team_domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"


@dataclass(frozen=True)
class TranscriptMatch:
    """Whether a quote stands in a talk's transcript (verbatim up to filler words,
    punctuation and case) and where: the start of its cue in milliseconds, when timed."""

    found: bool
    start_ms: int | None = None

    def describe(self) -> str:
        if not self.found:
            return "not found in the talk's transcript"
        if self.start_ms is None:
            return "found in the talk's transcript"
        return f"found in the transcript at {timestamp(self.start_ms)}"


def find_in_transcript(
    quote: str, transcript: str | None, cues: Sequence[tuple[int, str]] = ()
) -> TranscriptMatch | None:
    """Where `quote` stands in the cues (start_ms, text), else in the plain `transcript`;
    None when the talk has no transcript at all. A quote may run across cues."""
    needle = normalised(quote)
    if not needle:
        return TranscriptMatch(False)
    if cues:
        starts: list[int] = []
        parts: list[str] = []
        offset = 1
        for _, text in cues:
            part = normalised(text)
            if not part:
                continue
            starts.append(offset)
            parts.append(part)
            offset += len(part) + 1
        haystack = " " + " ".join(parts) + " "
        at = haystack.find(f" {needle} ")
        if at < 0:
            return TranscriptMatch(False)
        kept = [start for (start, text) in cues if normalised(text)]
        return TranscriptMatch(True, kept[bisect.bisect_right(starts, at + 1) - 1])
    if transcript is None:
        return None
    return TranscriptMatch(f" {needle} " in f" {normalised(transcript)} ")


def timestamp(milliseconds: int) -> str:
    """12:34 or 1:02:03."""
    seconds = milliseconds // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
