"""Slack's Block Kit and message limits: `validate_message` answers what chat.postMessage,
chat.update, a response_url or an ack would refuse, and why."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

# Slack's documented limits (docs.slack.dev, Block Kit reference and chat.postMessage).
MAX_TEXT = 40_000  # chat.postMessage `text`; more answers msg_too_long
MAX_BLOCKS = 50  # blocks in one message
MAX_SECTION_TEXT = 3_000  # section block `text`
MAX_SECTION_FIELDS = 10  # fields in one section block
MAX_FIELD_TEXT = 2_000  # one section field
MAX_HEADER_TEXT = 150  # header block text
MAX_ACTIONS_ELEMENTS = 25  # elements in an actions block
MAX_CONTEXT_ELEMENTS = 10  # elements in a context block
MAX_BUTTON_TEXT = 75  # button label
MAX_BUTTON_VALUE = 2_000  # button value
MAX_ID_LENGTH = 255  # block_id and action_id


def validate_message(payload: Mapping[str, Any]) -> tuple[str, list[str]] | None:
    """Check a message payload against Slack's limits.

    Returns None when Slack would accept it, else ``(error_code, details)`` where the code is
    ``msg_too_long``, ``invalid_blocks_format`` or ``invalid_blocks`` and the details read
    like the ``errors`` Slack returns (``"... [json-pointer:/blocks/0/text/text]"``).
    """
    text = payload.get("text")
    if isinstance(text, str) and len(text) > MAX_TEXT:
        return "msg_too_long", [f"text is {len(text)} characters, more than {MAX_TEXT}"]
    blocks = payload.get("blocks")
    if blocks is None:
        return None
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return "invalid_blocks_format", ["blocks is not valid JSON"]
    if not isinstance(blocks, list):
        return "invalid_blocks_format", ["blocks must be an array"]
    problems = list(_block_problems(blocks))
    if problems:
        return "invalid_blocks", problems
    return None


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, dict):
        value = obj.get("text")
        return value if isinstance(value, str) else None
    return None


def _block_problems(blocks: list[Any]) -> Iterator[str]:
    if len(blocks) > MAX_BLOCKS:
        yield f"must provide no more than {MAX_BLOCKS} items [json-pointer:/blocks]"
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            yield f"missing required field: type [json-pointer:{where}]"
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > MAX_ID_LENGTH:
                yield _too_long(MAX_ID_LENGTH, f"{where}/block_id")
            elif block_id in block_ids:
                yield f"duplicate block_id {block_id!r} [json-pointer:{where}/block_id]"
            else:
                block_ids.add(block_id)
        kind = block["type"]
        if kind == "section":
            yield from _section_problems(block, where)
        elif kind == "header":
            text = _text_of(block.get("text"))
            if text is None:
                yield f"missing required field: text [json-pointer:{where}/text]"
            elif len(text) > MAX_HEADER_TEXT:
                yield _too_long(MAX_HEADER_TEXT, f"{where}/text/text")
        elif kind == "actions":
            yield from _elements_problems(block, where, MAX_ACTIONS_ELEMENTS)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                yield f"missing required field: elements [json-pointer:{where}/elements]"
            elif len(elements) > MAX_CONTEXT_ELEMENTS:
                yield (
                    f"must provide no more than {MAX_CONTEXT_ELEMENTS} items "
                    f"[json-pointer:{where}/elements]"
                )


def _section_problems(block: Mapping[str, Any], where: str) -> Iterator[str]:
    text = block.get("text")
    fields = block.get("fields")
    if text is None and fields is None:
        yield f"must provide text or fields [json-pointer:{where}]"
    if text is not None:
        body = _text_of(text)
        if body is None:
            yield f"text must be a text object [json-pointer:{where}/text]"
        elif len(body) > MAX_SECTION_TEXT:
            yield _too_long(MAX_SECTION_TEXT, f"{where}/text/text")
    if fields is not None:
        if not isinstance(fields, list):
            yield f"fields must be an array [json-pointer:{where}/fields]"
        else:
            if len(fields) > MAX_SECTION_FIELDS:
                yield (
                    f"must provide no more than {MAX_SECTION_FIELDS} items "
                    f"[json-pointer:{where}/fields]"
                )
            for j, item in enumerate(fields):
                body = _text_of(item)
                if body is None:
                    yield f"field must be a text object [json-pointer:{where}/fields/{j}]"
                elif len(body) > MAX_FIELD_TEXT:
                    yield _too_long(MAX_FIELD_TEXT, f"{where}/fields/{j}/text")
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        yield from _element_problems(accessory, f"{where}/accessory")


def _elements_problems(block: Mapping[str, Any], where: str, limit: int) -> Iterator[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        yield f"missing required field: elements [json-pointer:{where}/elements]"
        return
    if len(elements) > limit:
        yield f"must provide no more than {limit} items [json-pointer:{where}/elements]"
    action_ids: set[str] = set()
    for j, element in enumerate(elements):
        if not isinstance(element, dict):
            yield f"element must be an object [json-pointer:{where}/elements/{j}]"
            continue
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            if action_id in action_ids:
                yield f"duplicate action_id {action_id!r} [json-pointer:{where}/elements/{j}]"
            action_ids.add(action_id)
        yield from _element_problems(element, f"{where}/elements/{j}")


def _element_problems(element: Mapping[str, Any], where: str) -> Iterator[str]:
    action_id = element.get("action_id")
    if isinstance(action_id, str) and len(action_id) > MAX_ID_LENGTH:
        yield _too_long(MAX_ID_LENGTH, f"{where}/action_id")
    if element.get("type") == "button":
        label = _text_of(element.get("text"))
        if label is None:
            yield f"missing required field: text [json-pointer:{where}/text]"
        elif len(label) > MAX_BUTTON_TEXT:
            yield _too_long(MAX_BUTTON_TEXT, f"{where}/text/text")
        value = element.get("value")
        if isinstance(value, str) and len(value) > MAX_BUTTON_VALUE:
            yield _too_long(MAX_BUTTON_VALUE, f"{where}/value")
