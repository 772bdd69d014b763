"""docs/architecture.md stays true: every module is in its tree, every path it names exists,
and each recipe names the places a newcomer will really edit (as sqlite-utils' test_docs
keeps its documentation honest)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.commands.table import COMMANDS
from bot.frontends.registry import FRONTENDS

REPO = Path(__file__).resolve().parent.parent
ARCHITECTURE = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
NAMED_PATHS = set(re.findall(r"`((?:bot|tests|bench)/[\w/.-]+\.py)`", ARCHITECTURE))


def modules() -> list[str]:
    found = []
    for path in sorted((REPO / "bot").rglob("*.py")):
        if path.name == "__init__.py" and len(path.read_text().splitlines()) < 3:
            continue  # a package marker with a one-line docstring
        found.append(path.relative_to(REPO).as_posix())
    return found


def test_every_module_is_in_the_tree() -> None:
    missing = [module for module in modules() if f"`{module}`" not in ARCHITECTURE]
    assert missing == []


def test_every_path_the_document_names_exists() -> None:
    assert sorted(p for p in NAMED_PATHS if not (REPO / p).exists()) == []


def test_the_add_a_command_recipe_names_the_table_and_the_walk() -> None:
    recipe = ARCHITECTURE.split("### Add a command", 1)[1].split("###", 1)[0]
    for place in (
        "bot/commands/table.py",
        "COMMANDS",
        "slack-manifest.yml",
        "tests/commands/test_follow_ups.py",
        "SAMPLES",
        "confbot sync",
    ):
        assert place in recipe, place
    assert "SAMPLES" in (REPO / "tests/commands/test_follow_ups.py").read_text()
    assert COMMANDS.get("talk") is not None


def test_the_add_a_front_end_recipe_names_the_registration_line() -> None:
    recipe = ARCHITECTURE.split("### Add a front end", 1)[1].split("###", 1)[0]
    for place in ("bot/frontends/base.py", "bot/frontends/registry.py", "FRONTENDS", "serve"):
        assert place in recipe, place
    assert len(FRONTENDS) >= 2  # Discord and Slack register there today


def test_the_add_a_delivery_recipe_names_the_engine_pieces() -> None:
    recipe = ARCHITECTURE.split("### Add a kind of delivery", 1)[1].split("##", 1)[0]
    for place in ("bot/delivery/", "Poster", "Runner"):
        assert place in recipe, place
