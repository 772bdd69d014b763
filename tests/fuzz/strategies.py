"""Hypothesis strategies for hostile input: what a user, a paste or a bot could type.

Unicode of every plane (lone surrogates included), digits of other scripts, control and bidi
characters, huge strings, FTS5 and SQL syntax, LIKE wildcards, dates at the edges of the
calendar, repeated words and mentions. bench/fuzz.py draws its hostile set from these too.
"""

from __future__ import annotations

from hypothesis import strategies as st

SURROGATES = ["\ud800", "\udbff", "\udc00", "\udcff", "\udfff", "\ud83d", "\ude00"]
OTHER_DIGITS = ["²", "³", "①", "⑳", "٣", "۷", "३", "৬", "๓", "３", "𝟘", "𝟗", "߃", "᠑", "Ⅻ", "½"]
CONTROLS = [
    "\x00",
    "\x02",  # the search highlight markers: no forged bold
    "\x03",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\x9b",
    "\u200b",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
    "\u061c",
    "\ufeff",
    "\u2028",
    "\t",
    "\n",
    "\r\n",
]
FTS5_SYNTAX = [
    '"',
    '""',
    "*",
    "^",
    "NEAR(",
    "NEAR(a b, 2)",
    ")",
    "(",
    "AND",
    "OR",
    "NOT",
    ":",
    "{title speakers}:",
    "title:docker",
    "-",
    "+",
    'docker" OR "',
    "a*",
    "*a",
]
SQL_SYNTAX = [
    "'",
    "';",
    "--",
    "/*",
    "*/",
    "' OR 1=1 --",
    "'); DROP TABLE talks; --",
    "%",
    "_",
    "\\",
    "%_%",
    "\\%",
    "?",
    "?1",
    ":conference",
    "@everyone",
    "$1",
]
DAYS = [
    "9999-12-31",
    "0001-01-01",
    "0000-00-00",
    "10000-01-01",
    "2019-02-30",
    "2019-08-22",
    "2019-W34-4",
    "20190822",
    "day 99",
    "day 0",
    "day -1",
    "day ²",
    "day ٣",
    "99",
    "0",
    "today",
    "tomorrow",
    "yesterday",
    "sun",
    "wednesday",
    "mo",
]
MENTIONS = [
    "@everyone",
    "@here",
    "<!everyone>",
    "<!here>",
    "<!channel>",
    "<@U0123ABCD>",
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "<@&123456789012345678>",
    "<#C0123|general>",
    "<https://evil.example|click>",
    "**bold**",
    "`code`",
    "||spoiler||",
    "&amp;",
    "&lt;",
]
COMMON_WORDS = ["you", "the", "and", "to", "of", "a", "it", "is", "that", "data", "docker"]
WORDS = [
    "docker",
    "crontab",
    "keynote",
    "vicki",
    "james",
    "recommender",
    "curie",
    "opening",
    "camp",
    "dockr",
    "kubernets",
    "normconf-2022/an-ml-fairytale",
    "closing address",
]
COMMANDS = [
    "talk",
    "speaker",
    "nugget",
    "search",
    "now",
    "next",
    "schedule",
    "help",
    "",
    "TALK",
    "nope",
    "sché",
]

PIECES = SURROGATES + OTHER_DIGITS + CONTROLS
any_character = st.one_of(
    st.characters(exclude_categories=()),  # every category, surrogates included
    st.sampled_from([piece for piece in PIECES if len(piece) == 1]),
)
unicode_text = st.one_of(
    st.text(any_character, max_size=40),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=12).map("".join),
)
huge_text = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["a", "%", "_", "\\", "you ", "\udcff", "²", "\u202e", '"', "ä", "𝟘 "]),
    st.integers(min_value=201, max_value=60_000),
)
repeated_words = st.builds(
    lambda word, times: " ".join([word] * times),
    st.sampled_from(COMMON_WORDS),
    st.integers(min_value=2, max_value=80),
)
many_common_words = st.lists(st.sampled_from(COMMON_WORDS), min_size=6, max_size=40).map(" ".join)
token = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(OTHER_DIGITS + SURROGATES + CONTROLS),
    st.sampled_from(FTS5_SYNTAX),
    st.sampled_from(SQL_SYNTAX),
    st.sampled_from(DAYS),
    st.sampled_from(MENTIONS),
    st.sampled_from(COMMON_WORDS),
    unicode_text,
)
argument = st.one_of(
    st.lists(token, max_size=8).map(" ".join),
    unicode_text,
    huge_text,
    repeated_words,
    many_common_words,
)
page = st.one_of(
    st.sampled_from(OTHER_DIGITS),
    st.integers(min_value=-5, max_value=10**30).map(str),
    st.sampled_from(["", "0", "00", "1", "2", "9999", "10000", "1e3", "-1", "٣"]),
)
conference = st.sampled_from(
    ["normconf-2022", "camp2019", "TUMOCON-2023", "nope", "\udcff", "%", "'", "a" * 80]
)


@st.composite
def command_line(draw: st.DrawFn) -> str:
    """A command line as a user types it: command, argument, maybe flags, maybe a prefix."""
    command = draw(st.sampled_from(COMMANDS))
    slash = draw(st.sampled_from(["/", "", "//", " /"]))
    parts = [slash + command, draw(argument)]
    if draw(st.booleans()):
        parts.append(f"--page {draw(page)}")
    if draw(st.booleans()):
        parts.append(f"--conference {draw(conference)}")
    if command == "schedule" and draw(st.booleans()):
        parts.insert(1, draw(st.sampled_from(DAYS)))
    return draw(st.sampled_from([" ", "  ", "\t", "\u3000"])).join(parts)
