"""Frozen dataclass values made fast, where a command makes dozens of them.

A frozen dataclass's `__init__` sets each field through `object.__setattr__` (to get past its
own guard), about a microsecond for six fields; a `/talk` that offers 25 talks makes 25 labels
and 25 choices, then stamps each choice with the invocation it replays (`dataclasses.replace`
runs `__init__` again, and was the registry's largest cost per answer). `build` and `stamped`
fill the instance's `__dict__` at once: the same value (equal, hashed and printed alike), for
classes with no `__post_init__` and no `__slots__`. `build` takes every field, defaults too;
`stamped` copies every field it is not given, a default factory's value shared with the
original as `replace` shares it (tests/test_frozen.py holds each use equal to `__init__`).
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def build(cls: type[T], **fields: Any) -> T:
    """`cls(**fields)` without its `__init__`; `fields` must name every field."""
    value = object.__new__(cls)
    value.__dict__.update(fields)
    return value


def stamped(value: T, **changes: Any) -> T:
    """`value` with `changes`: a copy of its fields, not `dataclasses.replace`, which runs
    `__init__` again."""
    copy = object.__new__(type(value))
    copy.__dict__.update(value.__dict__, **changes)
    return copy
