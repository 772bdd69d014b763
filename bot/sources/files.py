"""The one way a source reads a file, and the one way a parser's complaint becomes a RecordError.

`read_text` reads bytes (never more than a limit), insists on a regular file (a directory, a
dangling symlink or a symlink loop named like a data file is refused, not skipped), and decodes
UTF-8 naming the line of the first bad byte. `parse_failure` turns what a parser raised
(tomllib, json, a RecursionError from nesting) into `file:line: field 'x': ...`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from bot.records import RecordError

# A data file (a talk, a transcript) is small; a generous cap keeps a stray video or disk
# image named x.txt from being read into memory.
MAX_DATA_FILE_BYTES = 16 * 1024 * 1024

# The settings that raise the import limits (bot/config.py reads them).
MAX_MB_SETTING = "CONFBOT_IMPORT_MAX_MB"
MAX_EVENTS_SETTING = "CONFBOT_IMPORT_MAX_EVENTS"


@dataclass(frozen=True)
class ImportLimits:
    """How large a schedule export confbot accepts. The largest real ones (FOSDEM: about
    1,000 events, a few MB) are far below the defaults; a 1,000,000-event export is not a
    schedule but a mistake or an attack, and would take minutes and gigabytes to import."""

    max_bytes: int = 50_000_000
    max_events: int = 20_000


DEFAULT_LIMITS = ImportLimits()

_STRUCTURE = re.compile(r'\\.|[\[\]{}"\n]', re.DOTALL)
_TOML_POSITION = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)\s*$")


def describe_os_error(error: OSError) -> str:
    """A short reason for an OSError, without the path (the caller names the file)."""
    if error.errno == errno.ELOOP:
        return "it is a symlink loop"
    if error.errno == errno.ENOENT:
        return "it does not exist (a dangling symlink?)"
    return error.strerror or type(error).__name__


def file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as a data file, or None when it is a readable regular file.

    Symlinks are followed (a link to a real file is fine); what they end at must be a file.
    """
    try:
        info = path.stat()
    except OSError as error:
        return f"cannot read the file: {describe_os_error(error)}"
    except ValueError:  # an embedded NUL in a name built from a file's contents
        return "cannot read the file: the name is not a valid path"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    return None


def read_bytes(path: Path, *, max_bytes: int, limit_name: str = "") -> bytes:
    """The file's bytes; RecordError (naming the file) when it is not a readable regular file
    or is larger than `max_bytes` (`limit_name` names the setting that raises the limit)."""
    problem = file_problem(path)
    if problem is not None:
        raise RecordError(problem, path=str(path))
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise RecordError("is not a regular file", path=str(path))
            if info.st_size > max_bytes:  # refused before a byte is read
                raise RecordError(too_large(max_bytes, limit_name), path=str(path))
            raw = handle.read(max_bytes + 1)
    except OSError as error:
        raise RecordError(
            f"cannot read the file: {describe_os_error(error)}", path=str(path)
        ) from None
    if len(raw) > max_bytes:
        raise RecordError(too_large(max_bytes, limit_name), path=str(path))
    return raw


def too_large(max_bytes: int, limit_name: str = "") -> str:
    """The message for input over a size limit, naming the setting that raises it."""
    hint = f" (raise {limit_name} to accept it)" if limit_name else ""
    return f"the file is larger than {max_bytes / 1_000_000:g} MB{hint}"


def decode_text(raw: bytes, *, origin: str) -> str:
    """UTF-8 text (a byte-order mark dropped); RecordError at the line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RecordError(
            f"not UTF-8 text (byte 0x{raw[error.start]:02x}: {error.reason})",
            path=origin,
            line=raw.count(b"\n", 0, error.start) + 1,
        ) from None


def read_text(path: Path, *, max_bytes: int = MAX_DATA_FILE_BYTES, limit_name: str = "") -> str:
    """A regular file's UTF-8 text, at most `max_bytes` long; RecordError otherwise."""
    return decode_text(
        read_bytes(path, max_bytes=max_bytes, limit_name=limit_name), origin=str(path)
    )


def last_line(text: str) -> int:
    """The number of the text's last line (1 for an empty text)."""
    return text.count("\n", 0, len(text.rstrip("\n"))) + 1


def nesting_line(text: str, depth: int = 100) -> int | None:
    """The line where brackets ([ and {, outside double-quoted strings) first nest `depth`
    deep: where a parser that gave up on nesting got lost."""
    level = 0
    in_string = False
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if in_string:
            in_string = token not in ('"', "\n")  # an escape pair (\" too) is one token
        elif token == '"':
            in_string = True
        elif token in "[{":
            level += 1
            if level >= depth:
                return text.count("\n", 0, match.start()) + 1
        elif token in "]}":
            level = max(0, level - 1)
    return None


def parse_failure(
    error: Exception, *, origin: str, text: str, what: str, line: int | None = None
) -> RecordError:
    """A RecordError for a parser's complaint about `text` (the contents of `origin`).

    `what` names the format ("TOML", "JSON"). A RecursionError means the nesting was deeper
    than any schedule or data file has; a message ending "(at end of document)" points at the
    last line, since that is where a cut-off file ends.
    """
    if isinstance(error, RecursionError):
        return RecordError(
            f"not valid {what}: values are nested too deeply",
            path=origin,
            line=nesting_line(text) or line,
        )
    message = str(error)
    match = _TOML_POSITION.search(message)
    if match:
        message = message[: match.start()]
        if match.group(1):
            line = int(match.group(1))
        else:
            line = last_line(text)
            message += " at the end of the file (is it cut off?)"
    return RecordError(f"not valid {what}: {message}", path=origin, line=line)
