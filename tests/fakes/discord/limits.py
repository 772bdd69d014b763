"""What Discord rejects with 400 / 50035 (Invalid Form Body): message, embed, component,
choice, modal and application command limits, as problems, and `_ApiError`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from aiohttp import web

from .wire import FLAG_COMPONENTS_V2, JSON, _json_response

# Discord's limits (discord-api-docs).
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_COMPONENTS_MAX = 5
V2_COMPONENTS_MAX = 40
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
AUTOCOMPLETE_CHOICES_MAX = 25
CHOICE_TEXT_MAX = 100
NONCE_MAX = 25
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


_COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")


_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_DUPLICATED_ID = ("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: JSON | None = None,
        headers: Mapping[str, str] | None = None,
        extra: JSON | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body

    def response(self) -> web.Response:
        return _json_response(self.body(), self.status, self.headers)


Problem = tuple[tuple[str | int, ...], str, str]


def _too_long(path: tuple[str | int, ...], limit: int) -> Problem:
    return (path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _too_short(path: tuple[str | int, ...], limit: int) -> Problem:
    return (path, "BASE_TYPE_MIN_LENGTH", f"Must be {limit} or more in length.")


def _required(path: tuple[str | int, ...]) -> Problem:
    return (path, "BASE_TYPE_REQUIRED", "This field is required")


def _nest(problems: Sequence[Problem]) -> JSON:
    """Discord's error tree: ``{"embeds": {"0": {"title": {"_errors": [...]}}}}``."""
    tree: JSON = {}
    for path, code, message in problems:
        node = tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return tree


def _invalid_form(problems: Sequence[Problem]) -> _ApiError:
    return _ApiError(400, 50035, "Invalid Form Body", _nest(problems))


def _text_len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def _embed_problems(embeds: Any, prefix: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    path = (*prefix, "embeds")
    if not isinstance(embeds, list):
        return [(path, "BASE_TYPE_ARRAY", "Must be an array.")]
    if len(embeds) > EMBEDS_MAX:
        problems.append(_too_long(path, EMBEDS_MAX))
    total = 0
    for i, embed in enumerate(embeds):
        where = (*path, i)
        if not isinstance(embed, dict):
            problems.append((where, "MODEL_TYPE_CONVERT", "Only dictionaries may be used."))
            continue
        for key, limit in (("title", EMBED_TITLE_MAX), ("description", EMBED_DESCRIPTION_MAX)):
            n = _text_len(embed.get(key))
            total += n
            if n > limit:
                problems.append(_too_long((*where, key), limit))
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            problems.append(_too_long((*where, "fields"), EMBED_FIELDS_MAX))
        for j, fld in enumerate(fields):
            for key, limit in (("name", EMBED_FIELD_NAME_MAX), ("value", EMBED_FIELD_VALUE_MAX)):
                value = fld.get(key) if isinstance(fld, dict) else None
                n = _text_len(value)
                total += n
                if value is None:
                    problems.append(_required((*where, "fields", j, key)))
                elif n == 0:
                    problems.append(_too_short((*where, "fields", j, key), 1))
                elif n > limit:
                    problems.append(_too_long((*where, "fields", j, key), limit))
        for key, sub, limit in (
            ("footer", "text", EMBED_FOOTER_MAX),
            ("author", "name", EMBED_AUTHOR_MAX),
        ):
            part = embed.get(key)
            n = _text_len(part.get(sub)) if isinstance(part, dict) else 0
            total += n
            if n > limit:
                problems.append(_too_long((*where, key, sub), limit))
    if total > EMBED_TOTAL_MAX:
        problems.append(
            (
                path,
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
            )
        )
    return problems


def _walk_components(components: Any) -> Iterator[JSON]:
    """Every component, depth first (rows, containers, sections' accessories, labels)."""
    if not isinstance(components, list):
        return
    for component in components:
        if not isinstance(component, dict):
            continue
        yield component
        children = component.get("components")
        if isinstance(children, list):  # (no generator for the leaves)
            yield from _walk_components(children)
        for key in ("accessory", "component"):
            inner = component.get(key)
            if isinstance(inner, dict):
                yield from _walk_components([inner])


def _item_problems(item: JSON, where: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    kind = item.get("type")
    custom_id = item.get("custom_id")
    if isinstance(custom_id, str) and len(custom_id) > CUSTOM_ID_MAX:
        problems.append(_too_long((*where, "custom_id"), CUSTOM_ID_MAX))
    if kind == 2:  # button
        if _text_len(item.get("label")) > BUTTON_LABEL_MAX:
            problems.append(_too_long((*where, "label"), BUTTON_LABEL_MAX))
        style = item.get("style")
        if style == 5 and not item.get("url"):
            problems.append(_required((*where, "url")))
        if style not in (5, 6) and not custom_id:
            problems.append(_required((*where, "custom_id")))
    elif kind in _SELECT_TYPES:
        if not custom_id:
            problems.append(_required((*where, "custom_id")))
        if _text_len(item.get("placeholder")) > SELECT_PLACEHOLDER_MAX:
            problems.append(_too_long((*where, "placeholder"), SELECT_PLACEHOLDER_MAX))
        max_values = item.get("max_values", 1)
        if isinstance(max_values, int) and max_values > SELECT_OPTIONS_MAX:
            problems.append(
                (
                    (*where, "max_values"),
                    "NUMBER_TYPE_MAX",
                    f"int value should be less than or equal to {SELECT_OPTIONS_MAX}.",
                )
            )
        if kind == 3:
            options = item.get("options") or []
            if not options:
                problems.append(_too_short((*where, "options"), 1))
            if len(options) > SELECT_OPTIONS_MAX:
                problems.append(_too_long((*where, "options"), SELECT_OPTIONS_MAX))
            if isinstance(max_values, int) and max_values > len(options) and options:
                problems.append(
                    (
                        (*where, "max_values"),
                        "SELECT_COMPONENT_MAX_VALUES_EXCEEDED",
                        "max_values must be less than or equal to the number of options",
                    )
                )
            for j, option in enumerate(options):
                for key in ("label", "value", "description"):
                    if _text_len(option.get(key)) > SELECT_OPTION_TEXT_MAX:
                        problems.append(
                            _too_long((*where, "options", j, key), SELECT_OPTION_TEXT_MAX)
                        )
    elif kind == 4:  # text input (modals)
        if _text_len(item.get("label")) > TEXT_INPUT_LABEL_MAX:
            problems.append(_too_long((*where, "label"), TEXT_INPUT_LABEL_MAX))
        if _text_len(item.get("value")) > TEXT_INPUT_VALUE_MAX:
            problems.append(_too_long((*where, "value"), TEXT_INPUT_VALUE_MAX))
    return problems


def _component_problems(
    components: Any, prefix: tuple[str | int, ...], *, v2: bool
) -> list[Problem]:
    path = (*prefix, "components")
    if not isinstance(components, list):
        return [(path, "BASE_TYPE_ARRAY", "Must be an array.")]
    # One walk over every component: each item's own problems, then duplicated custom_ids.
    items: list[Problem] = []
    duplicated: list[Problem] = []
    seen: set[str] = set()
    count = 0
    for count, item in enumerate(_walk_components(components), 1):
        items.extend(_item_problems(item, (*path, count - 1)))
        custom_id = item.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in seen:
                duplicated.append((path, *_DUPLICATED_ID))
            seen.add(custom_id)
    problems: list[Problem] = []
    if v2:
        if count > V2_COMPONENTS_MAX:
            problems.append(_too_long(path, V2_COMPONENTS_MAX))
    else:
        if len(components) > ACTION_ROWS_MAX:
            problems.append(_too_long(path, ACTION_ROWS_MAX))
        for i, row in enumerate(components):
            where = (*path, i)
            if not isinstance(row, dict) or row.get("type") != 1:
                problems.append(
                    (
                        (*where, "type"),
                        "UNION_TYPE_CHOICES",
                        'Value of field "type" must be one of (1,).',
                    )
                )
                continue
            children = row.get("components") or []
            if not children:
                problems.append(_too_short((*where, "components"), 1))
            if len(children) > ROW_COMPONENTS_MAX:
                problems.append(_too_long((*where, "components"), ROW_COMPONENTS_MAX))
            if len(children) > 1 and any(c.get("type") in _SELECT_TYPES for c in children):
                problems.append(
                    (
                        (*where, "components"),
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                        "The specified component exceeds the maximum width",
                    )
                )
    return problems + items + duplicated


def message_problems(
    payload: Mapping[str, Any], prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    """What Discord rejects with 400/50035 in a message payload (create or edit), as problems."""
    problems: list[Problem] = []
    content = payload.get("content")
    if content is not None:
        if not isinstance(content, str):
            problems.append(((*prefix, "content"), "BASE_TYPE_STRING", "Must be a string."))
        elif len(content) > CONTENT_MAX:
            problems.append(_too_long((*prefix, "content"), CONTENT_MAX))
    if payload.get("embeds") is not None:
        problems.extend(_embed_problems(payload["embeds"], prefix))
    flags = payload.get("flags") or 0
    v2 = bool(isinstance(flags, int) and flags & FLAG_COMPONENTS_V2)
    if payload.get("components") is not None:
        problems.extend(_component_problems(payload["components"], prefix, v2=v2))
    if v2 and (content or payload.get("embeds")):
        problems.append(
            (
                (*prefix, "content"),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used with IS_COMPONENTS_V2",
            )
        )
    nonce = payload.get("nonce")
    if isinstance(nonce, str) and len(nonce) > NONCE_MAX:
        problems.append(_too_long((*prefix, "nonce"), NONCE_MAX))
    return problems


def _is_empty_message(message: Mapping[str, Any]) -> bool:
    return not (
        message.get("content")
        or message.get("embeds")
        or message.get("components")
        or message.get("attachments")
        or message.get("sticker_ids")
        or message.get("poll")
    )


def _choice_problems(choices: Any, prefix: tuple[str | int, ...]) -> list[Problem]:
    path = (*prefix, "choices")
    if not isinstance(choices, list):
        return [(path, "BASE_TYPE_ARRAY", "Must be an array.")]
    problems: list[Problem] = []
    if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
        problems.append(_too_long(path, AUTOCOMPLETE_CHOICES_MAX))
    for i, choice in enumerate(choices):
        name = choice.get("name") if isinstance(choice, dict) else None
        value = choice.get("value") if isinstance(choice, dict) else None
        if not isinstance(name, str):
            problems.append(_required((*path, i, "name")))
        elif not 1 <= len(name) <= CHOICE_TEXT_MAX:
            problems.append(
                _too_long((*path, i, "name"), CHOICE_TEXT_MAX)
                if name
                else _too_short((*path, i, "name"), 1)
            )
        if value is None:
            problems.append(_required((*path, i, "value")))
        elif isinstance(value, str) and len(value) > CHOICE_TEXT_MAX:
            problems.append(_too_long((*path, i, "value"), CHOICE_TEXT_MAX))
    return problems


def _modal_problems(data: Mapping[str, Any], prefix: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    title = data.get("title")
    if not isinstance(title, str) or not title:
        problems.append(_required((*prefix, "title")))
    elif len(title) > MODAL_TITLE_MAX:
        problems.append(_too_long((*prefix, "title"), MODAL_TITLE_MAX))
    if not data.get("custom_id"):
        problems.append(_required((*prefix, "custom_id")))
    components = data.get("components") or []
    if not components:
        problems.append(_too_short((*prefix, "components"), 1))
    if len(components) > MODAL_COMPONENTS_MAX:
        problems.append(_too_long((*prefix, "components"), MODAL_COMPONENTS_MAX))
    for i, item in enumerate(_walk_components(components)):
        problems.extend(_item_problems(item, (*prefix, "components", i)))
    return problems


def _command_problems(commands: Any) -> list[Problem]:
    if not isinstance(commands, list):
        return [((), "BASE_TYPE_ARRAY", "Must be an array.")]
    problems: list[Problem] = []
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        if not isinstance(cmd, dict):
            problems.append(((i,), "MODEL_TYPE_CONVERT", "Only dictionaries may be used."))
            continue
        kind = cmd.get("type", 1)
        name = cmd.get("name")
        if not isinstance(name, str) or not name:
            problems.append(_required((i, "name")))
            continue
        if kind == 1:
            if not _COMMAND_NAME_RE.match(name) or name != name.lower():
                problems.append(
                    ((i, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
                )
            description = cmd.get("description")
            if (
                not isinstance(description, str)
                or not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX
            ):
                problems.append(_too_long((i, "description"), COMMAND_DESCRIPTION_MAX))
        elif len(name) > COMMAND_NAME_MAX:
            problems.append(_too_long((i, "name"), COMMAND_NAME_MAX))
        if (kind, name) in seen:
            problems.append(
                (
                    (i, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {name}",
                )
            )
        seen.add((kind, name))
        problems.extend(_option_problems(cmd.get("options") or [], (i, "options")))
    return problems


def _option_problems(options: list[Any], path: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    if len(options) > COMMAND_OPTIONS_MAX:
        problems.append(_too_long(path, COMMAND_OPTIONS_MAX))
    optional_seen = False
    for j, option in enumerate(options):
        name = option.get("name", "")
        if not _COMMAND_NAME_RE.match(name) or name != name.lower():
            problems.append(
                ((*path, j, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Option name is invalid")
            )
        description = option.get("description", "")
        if not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
            problems.append(_too_long((*path, j, "description"), COMMAND_DESCRIPTION_MAX))
        if option.get("type") in (1, 2):
            problems.extend(_option_problems(option.get("options") or [], (*path, j, "options")))
            continue
        if option.get("required"):
            if optional_seen:
                problems.append(
                    (
                        (*path, j, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            optional_seen = True
        if len(option.get("choices") or []) > AUTOCOMPLETE_CHOICES_MAX:
            problems.append(_too_long((*path, j, "choices"), AUTOCOMPLETE_CHOICES_MAX))
    return problems
