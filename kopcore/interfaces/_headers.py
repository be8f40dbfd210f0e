"""Security headers of the web API's responses.

- Every response: ``X-Content-Type-Options: nosniff`` (a browser never guesses another type
  than the one sent).
- Every response under ``/api/``: ``Cache-Control: no-store``. They carry API keys (``keys
  issue``), members' personal data and balances; no browser or proxy cache may keep them.
- HTML pages (the interactive documentation at ``/docs``): a Content-Security-Policy that lets
  the page load scripts, styles, images and data only from this server — its inline scripts
  allowed by their SHA-256, computed from the page as sent — and be framed by no one
  (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for older browsers), with
  ``Referrer-Policy: no-referrer``.

:func:`add_common_headers` runs for every response (a ``before_send`` hook, so 404 and 405
answers get them too); :func:`html_page_headers` is the middleware that reads an HTML page
before it is sent, to hash its inline scripts.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api/"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


async def add_common_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: nosniff everywhere, no-store on the API."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["X-Content-Type-Options"] = "nosniff"
    if scope["path"].startswith(API_PREFIX):
        headers["Cache-Control"] = "no-store"


def content_security_policy(page: bytes) -> str:
    """The policy for an HTML page: same origin only, its inline scripts by hash."""
    scripts = ["'self'", *(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode("ascii") + "'"
        for script in _INLINE_SCRIPT.findall(page))]
    directives = [
        "default-src 'self'",
        "script-src " + " ".join(scripts),
        # Swagger UI styles elements inline and draws its icons as data: images.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def html_page_headers(app: ASGIApp) -> ASGIApp:
    """Middleware: an HTML response is held until its body is complete, then sent with its
    Content-Security-Policy and framing headers (the pages are small and few)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        body: list[bytes] = []

        async def hold_html(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                content_type = MutableScopeHeaders.from_message(message).get("content-type", "")
                if content_type.startswith("text/html"):
                    start = dict(message)
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                page = b"".join(body)
                headers = MutableScopeHeaders.from_message(start)  # type: ignore[arg-type]
                headers["Content-Security-Policy"] = content_security_policy(page)
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                await send(start)  # type: ignore[arg-type]
                await send({"type": "http.response.body", "body": page, "more_body": False})
                return
            await send(message)

        await app(scope, receive, hold_html)

    return middleware


__all__ = ["add_common_headers", "content_security_policy", "html_page_headers"]
