"""The Discord fake refuses the components Discord refuses (400 / 50035), each problem at its
path and in a stable order: the rows (or the count of a components-v2 message), then every
component in depth-first order, then duplicated custom_ids."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.fakes.discord import FLAG_COMPONENTS_V2, FakeDiscord, message_problems

DUPLICATED = ("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
TOO_LONG = "BASE_TYPE_MAX_LENGTH"


def button(custom_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id, **extra}


def row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


def select(custom_id: str, options: int, **extra: Any) -> dict[str, Any]:
    choices = [{"label": f"o{i}", "value": f"v{i}"} for i in range(options)]
    return {"type": 3, "custom_id": custom_id, "options": choices, **extra}


def codes(payload: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    return [(path, code) for path, code, _ in message_problems(payload)]


def test_good_rows_have_no_problem() -> None:
    payload = {"components": [row(button("a"), button("b")), row(select("s", 3))]}
    assert message_problems(payload) == []


def test_a_custom_id_used_twice_or_more_is_a_problem_each_time_again() -> None:
    payload = {"components": [row(button("a"), button("b")), row(button("a"), button("a"))]}
    assert message_problems(payload) == [(("components",), *DUPLICATED)] * 2


def test_rows_are_checked_then_components_in_walk_order_then_duplicates() -> None:
    payload = {
        "components": [
            row(button("a", label="x" * 81), button("b", style=5)),  # label; link without url
            {"type": 2, "custom_id": "loose"},  # not a row
            row(),  # empty
            row(select("s", 2, max_values=3), button("a")),  # too wide; max_values > options
            row(*(button(f"r{i}") for i in range(6))),  # six in a row
            row(button("c" * 101)),  # a sixth row, and a custom_id too long
        ]
    }
    assert codes(payload) == [
        (("components",), TOO_LONG),
        (("components", 1, "type"), "UNION_TYPE_CHOICES"),
        (("components", 2, "components"), "BASE_TYPE_MIN_LENGTH"),
        (("components", 3, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED"),
        (("components", 4, "components"), TOO_LONG),
        # Depth first: row 0 is component 0, its buttons 1 and 2; the loose button is 3, ...
        (("components", 1, "label"), TOO_LONG),
        (("components", 2, "url"), "BASE_TYPE_REQUIRED"),
        (("components", 6, "max_values"), "SELECT_COMPONENT_MAX_VALUES_EXCEEDED"),
        (("components", 16, "custom_id"), TOO_LONG),
        (("components",), DUPLICATED[0]),
    ]


def test_a_components_v2_message_counts_every_nested_component() -> None:
    def section(n: int) -> dict[str, Any]:
        text = {"type": 10, "content": f"text {n}"}
        return {"type": 9, "components": [text], "accessory": button(f"b{n}")}

    inside = [section(n) for n in range(13)]
    container = {"type": 17, "components": inside}  # 1 + 13 * 3 components
    payload: dict[str, Any] = {"flags": FLAG_COMPONENTS_V2, "components": [container]}
    assert message_problems(payload) == []

    inside.append({"type": 18, "label": "l", "component": button("x")})
    assert codes(payload) == [(("components",), TOO_LONG)]  # 42 components

    inside.append({"type": 18, "label": "l", "component": button("b0")})
    payload["content"] = "not with v2"
    assert codes(payload) == [
        (("components",), TOO_LONG),
        (("components",), DUPLICATED[0]),  # the label's button, found inside it
        (("content",), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2"),
    ]


def test_components_that_are_no_array_are_refused() -> None:
    assert codes({"components": {"type": 1}}) == [(("components",), "BASE_TYPE_ARRAY")]


async def test_a_message_with_duplicated_custom_ids_gets_50035() -> None:
    payload = {"content": "x", "components": [row(button("a"), button("a"))]}
    token = "limits-token"
    headers = {"Authorization": f"Bot {token}"}
    async with FakeDiscord(token=token) as fake, aiohttp.ClientSession(headers=headers) as http:
        url = f"{fake.api_base}/channels/{fake.channel_id}/messages"
        async with http.post(url, json=payload) as answer:
            body = await answer.json()

    assert (answer.status, body["code"]) == (400, 50035)
    assert body["errors"] == {
        "components": {"_errors": [{"code": DUPLICATED[0], "message": DUPLICATED[1]}]}
    }
    assert fake.channel_messages(fake.channel_id) == []
