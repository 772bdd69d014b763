"""`bot.frozen`: values built without `__init__` are the values `__init__` makes, for every
class the code builds that way."""

from __future__ import annotations

import dataclasses
import sqlite3

from bot.answer import Answer, Choice
from bot.commands.answers import talk_choice
from bot.commands.invocation import Invocation
from bot.frozen import build, stamped
from bot.store.catalog import TalkLabel, label_of

VALUES = (
    7,
    "normconf-2022/an-ml-fairytale",
    "An ML Fairytale",
    "Vicki Boykis\x1fA N Other",
    "NormConf 2022",
)


def row(*values: object) -> sqlite3.Row:
    """A row as the store reads it (aiosqlite's rows are sqlite3's)."""
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    found: sqlite3.Row = connection.execute("SELECT ?, ?, ?, ?, ?", values).fetchone()
    connection.close()
    return found


ROW = row(*VALUES)


def test_a_label_from_a_row_is_the_label_init_makes() -> None:
    made = label_of(ROW, score=-1.5)
    expected = TalkLabel(
        7,
        "normconf-2022/an-ml-fairytale",
        "An ML Fairytale",
        ("Vicki Boykis", "A N Other"),
        "NormConf 2022",
        -1.5,
    )
    assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
    assert label_of(row(*VALUES[:3], None, VALUES[4])).speakers == ()


def test_a_talk_choice_is_the_choice_init_makes_with_every_default() -> None:
    made = talk_choice(label_of(ROW))
    expected = Choice(
        "An ML Fairytale",
        "talk",
        "normconf-2022/an-ml-fairytale",
        "Vicki Boykis, A N Other · NormConf 2022",
    )
    assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
    assert {f.name for f in dataclasses.fields(Choice)} == set(vars(made))  # no field left out


def test_a_stamped_value_changes_only_what_it_names_and_leaves_the_original() -> None:
    choice = Choice("A", "talk", "a")
    replay = Invocation.of("talk", query="a")
    again = stamped(choice, invocation=replay)
    assert again == dataclasses.replace(choice, invocation=replay)
    assert choice.invocation is None
    answer = Answer(kind="talk", title="T")
    assert stamped(answer, title="U") == dataclasses.replace(answer, title="U")


def test_a_built_value_stays_frozen() -> None:
    made = build(
        Choice, label="A", command="talk", query="a", description="", invocation=None, form=()
    )
    try:
        made.label = "B"  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        return
    raise AssertionError("a built value could be changed")
