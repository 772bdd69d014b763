"""One logging set-up, and one filter that keeps every configured secret out of every record.

`setup` is called once by the CLI: the log format, the level, and the secrets of the settings
(the Discord token, the Slack bot and app tokens, the signing secret). `protect` adds secrets
and puts the one `RedactSecrets` filter on every handler of the root logger (where every
record ends up, whichever logger made it); a front end built without the CLI (in tests, in a
benchmark) calls it with its own secrets. Redacted: the message with its arguments, the
traceback and the stack.

Named `logs`, not `logging`, so that `import logging` inside `bot/` is never this module.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sys
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 8  # shorter values would redact ordinary words; real tokens are long


class RedactSecrets(logging.Filter):
    """Replaces each secret it holds, wherever it appears in a record, with `REDACTED`."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()

    def add(self, secrets: Iterable[str]) -> None:
        kept = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = tuple(sorted({*self.secrets, *kept}, key=len, reverse=True))

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it, with no message
            return True
        cleaned = self.clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            trace = logging.Formatter().formatException(record.exc_info)
            if self.clean(trace) != trace:
                record.exc_text = self.clean(trace)
        elif record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


REDACT = RedactSecrets()


def protect(*secrets: str) -> None:
    """Keep `secrets` out of the log, from now on and on every handler of the root logger."""
    REDACT.add(secrets)
    for handler in logging.getLogger().handlers:
        if REDACT not in handler.filters:
            handler.addFilter(REDACT)


def setup(level: str, secrets: Iterable[str] = ()) -> None:
    """The process's logging: `level`, one line a record on stderr, `secrets` redacted."""
    logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr)
    protect(*secrets)


@functools.lru_cache(maxsize=4096)  # the same attendees ask again and again
def person(user_id: object) -> str:
    """A platform user as INFO logs name them: 'user#' and a short hash, never the id itself
    (what someone follows, and when, is theirs; the hash still tells one user's lines apart)."""
    digest = hashlib.sha256(str(user_id).encode()).hexdigest()[:10]
    return f"user#{digest}"
