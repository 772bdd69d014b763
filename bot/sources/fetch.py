"""Fetch one schedule URL over HTTP(S): the one download path of `confbot import URL` and of
followed sources.

A fetch is conditional when the caller knows the last validators (`If-None-Match` from the
`ETag`, `If-Modified-Since` from `Last-Modified`), bounded in time and size, refuses a body
that arrived incomplete (shorter than its `Content-Length`, or a connection dropped
mid-body), and decodes UTF-8. A body whose SHA-256 equals the last good one is reported as
unchanged and is not decoded, so the caller never parses it. Every outcome is a value; no
exception leaves `fetch_source` for a network problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    import aiohttp

DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_BODY_BYTES = 50 * 1024 * 1024
_CHUNK = 1 << 16
USER_AGENT = "confbot (conference companion bot; follows the published schedule)"


@dataclass(frozen=True)
class Unchanged:
    """The source holds what we last imported: a 304 to a conditional request, or a 200 whose
    body hashes the same."""

    why: Literal["not modified", "same body"]
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Fetched:
    """A new body, decoded, with the validators to send next time."""

    text: str
    body_hash: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Failed:
    """Nothing usable arrived; `reason` is one line without credentials."""

    reason: str
    status: int | None = None


FetchResult = Unchanged | Fetched | Failed


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def redact_url(url: str) -> str:
    """The URL as logs and listings may show it: no user or password, no query values
    (tokens travel there), no fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparsable URL>"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(f"{quote(name, safe='')}=***" for name, _ in pairs)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


async def fetch_source(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    body_hash: str | None = None,
    time_limit: float = DEFAULT_TIMEOUT_SECONDS,
    max_bytes: int = MAX_BODY_BYTES,
    session: aiohttp.ClientSession | None = None,
) -> FetchResult:
    """GET `url` once; see the module docstring. `session` is reused when given (a poller
    keeps one), otherwise one is opened for this request."""
    if not url.startswith(("https://", "http://")):
        return Failed("not an http:// or https:// URL")
    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    import aiohttp  # here: a cold `confbot ask` never fetches, and aiohttp costs ~0.15 s

    limit = aiohttp.ClientTimeout(total=time_limit)
    try:
        if session is None:
            async with aiohttp.ClientSession() as own:
                return await _get(own, url, headers, limit, body_hash, max_bytes)
        return await _get(session, url, headers, limit, body_hash, max_bytes)
    except TimeoutError:
        return Failed(f"no complete answer within {time_limit:g} s")
    except aiohttp.ClientPayloadError:
        # aiohttp raises this when fewer bytes arrive than Content-Length (or the last chunk
        # of a chunked body) promised: the connection dropped mid-body.
        return Failed("truncated: the connection dropped before the whole body arrived")
    except aiohttp.ClientConnectorError as error:
        return Failed(f"cannot connect ({error.strerror or type(error).__name__})")
    except aiohttp.InvalidURL:
        return Failed("not a valid URL")
    except aiohttp.ClientError as error:
        return Failed(f"download failed ({type(error).__name__})")


async def _get(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    limit: aiohttp.ClientTimeout,
    known_hash: str | None,
    max_bytes: int,
) -> FetchResult:
    async with session.get(url, headers=headers, timeout=limit) as reply:
        new_etag = reply.headers.get("ETag")
        new_modified = reply.headers.get("Last-Modified")
        if reply.status == 304:
            if "If-None-Match" not in headers and "If-Modified-Since" not in headers:
                return Failed("answered 304 Not Modified to a request that named no version", 304)
            return Unchanged("not modified", new_etag or headers.get("If-None-Match"), new_modified)
        if reply.status != 200:
            return Failed(f"answered HTTP {reply.status}", reply.status)
        declared = reply.content_length
        if declared is not None and declared > max_bytes:
            return Failed(f"larger than {_megabytes(max_bytes)}", reply.status)
        chunks: list[bytes] = []
        size = 0
        async for chunk in reply.content.iter_chunked(_CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                return Failed(f"larger than {_megabytes(max_bytes)}", reply.status)
    body = b"".join(chunks)
    digest = body_digest(body)
    if known_hash is not None and digest == known_hash:
        return Unchanged("same body", new_etag, new_modified)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Failed("not UTF-8 text", 200)
    return Fetched(text, digest, new_etag, new_modified)


def _megabytes(count: int) -> str:
    megabytes = count / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{count} bytes"
