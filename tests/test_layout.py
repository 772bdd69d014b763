"""The design's one direction of flow, checked on the source: the core knows no platform, and
no front end holds SQL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import REPO

BOT = REPO / "bot"
PLATFORM_PACKAGES = {"discord", "slack_bolt", "slack_sdk", "aiohttp"}
# The live-source fetcher and its poller are HTTP clients by nature (DESIGN: "a fetcher for
# live sources"); they may use aiohttp, and still no chat platform.
HTTP_CLIENTS = {BOT / "sources" / "fetch.py", BOT / "sources" / "follow.py"}
CHAT_PACKAGES = PLATFORM_PACKAGES - {"aiohttp"}
# The project writes SQL keywords in capitals, which also keeps English prose from matching.
SQL = re.compile(r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.S)


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_the_core_store_and_sources_import_no_platform_library() -> None:
    platform_free = [
        path
        for path in BOT.rglob("*.py")
        if "frontends" not in path.parts and path.name != "cli.py"
    ]
    assert len(platform_free) > 10
    for path in platform_free:
        forbidden = CHAT_PACKAGES if path in HTTP_CLIENTS else PLATFORM_PACKAGES
        assert not imported_packages(path) & forbidden, path


def test_no_front_end_holds_sql() -> None:
    front_ends = list((BOT / "frontends").rglob("*.py"))
    assert len(front_ends) > 5
    for path in front_ends:
        for text in string_constants(path):
            assert not SQL.search(text), f"{path}: {text[:60]!r}"


def test_the_sql_detector_detects_sql() -> None:
    assert SQL.search("SELECT id FROM talks")
    assert SQL.search("DELETE FROM nuggets WHERE 1")
    assert not SQL.search("Select a talk from the list")


def test_delivery_holds_no_sql() -> None:
    delivery = list((BOT / "delivery").rglob("*.py"))
    assert len(delivery) >= 3
    for path in delivery:
        for text in string_constants(path):
            assert not SQL.search(text), f"{path}: {text[:60]!r}"
