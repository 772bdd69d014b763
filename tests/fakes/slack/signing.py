"""HTTP mode in the fake Slack: v0-signed requests (`SignedRequest`) as Slack sends them,
delivered to the app's own endpoint."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

import aiohttp

from .interactions import InteractionResult, ResponsePost, _Interactions
from .state import _DEFAULT_TIMEOUT, JSON

SIGNATURE_MAX_AGE_SECONDS = 300  # Bolt refuses requests signed longer ago than this


class SignedRequest(NamedTuple):
    """A request as Slack would send it in HTTP mode; unpacks as ``body, headers``."""

    body: bytes
    headers: dict[str, str]

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    @property
    def payload(self) -> JSON:
        """The slash command fields, or the decoded ``payload`` of an interaction."""
        form = self.form
        if "payload" in form:
            decoded: JSON = json.loads(form["payload"])
            return decoded
        return dict(form)

    @property
    def response_url(self) -> str:
        return str(self.payload["response_url"])


class _Signing(_Interactions):
    """HTTP mode: requests signed as Slack signs them, delivered to the app's own endpoint."""

    # ---------------------------------------------------------------- HTTP mode driving

    def sign(
        self, body: bytes, *, secret: str | None = None, timestamp: int | None = None
    ) -> dict[str, str]:
        """Slack's v0 signature headers for `body` (now, with the fake's signing secret)."""
        ts = str(int(time.time()) if timestamp is None else int(timestamp))
        key = (self.signing_secret if secret is None else secret).encode()
        digest = hmac.new(key, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}",
        }

    def signed_slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        """A form-encoded, signed slash command with a fresh response_url on the fake."""
        payload = self._slash_payload(command, text, user_id, channel_id)
        body = urlencode(payload).encode()
        return SignedRequest(body, self.sign(body, secret=secret, timestamp=timestamp))

    def signed_block_action(
        self,
        action_id: str,
        *,
        user_id: str,
        channel_id: str,
        value: str | None = None,
        block_id: str | None = None,
        message: Mapping[str, Any] | ResponsePost | None = None,
        ephemeral: bool = False,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        """A signed ``payload=<block_actions JSON>`` form post (see `socket_block_action`)."""
        payload = self._block_actions_payload(
            action_id,
            user_id,
            channel_id,
            value,
            block_id,
            message,
            ephemeral,
        )
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return SignedRequest(body, self.sign(body, secret=secret, timestamp=timestamp))

    async def deliver(
        self,
        url: str,
        request: SignedRequest,
        *,
        wait_responses: int = 0,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """POST a signed request to the app's HTTP endpoint as Slack would; record the answer."""
        if self._session is None:
            raise RuntimeError("FakeSlack is not started")
        payload = request.payload
        kind = "slash_commands" if "command" in payload else str(payload.get("type"))
        result = InteractionResult(
            kind=kind,
            transport="http",
            payload=payload,
            response_url=request.response_url,
            fake=self,
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with self._session.post(
                url,
                data=request.body,
                headers=request.headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                result.status = resp.status
                result.body = await resp.text()
                content_type = resp.content_type
        except TimeoutError:
            return result  # the app never answered: acked stays False
        result.ack_seconds = loop.time() - started
        if result.status == 200:
            result.acked = True
            if result.body:
                if content_type == "application/json":
                    parsed = json.loads(result.body)
                    result.ack = parsed if isinstance(parsed, dict) else None
                else:
                    result.ack = {"text": result.body}
        self._check_ack(result)
        if result.acked and wait_responses:
            await result.wait_for_responses(wait_responses, timeout)
        return result

    async def http_slash_command(
        self,
        url: str,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str,
        wait_responses: int = 0,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """Sign and deliver a slash command to the app at `url` (see `deliver`)."""
        request = self.signed_slash_command(command, text, user_id=user_id, channel_id=channel_id)
        return await self.deliver(url, request, wait_responses=wait_responses, timeout=timeout)

    async def http_block_action(
        self,
        url: str,
        action_id: str,
        *,
        user_id: str,
        channel_id: str,
        value: str | None = None,
        block_id: str | None = None,
        message: Mapping[str, Any] | ResponsePost | None = None,
        ephemeral: bool = False,
        wait_responses: int = 0,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """Sign and deliver a button click to the app at `url` (see `deliver`)."""
        request = self.signed_block_action(
            action_id,
            user_id=user_id,
            channel_id=channel_id,
            value=value,
            block_id=block_id,
            message=message,
            ephemeral=ephemeral,
        )
        return await self.deliver(url, request, wait_responses=wait_responses, timeout=timeout)
