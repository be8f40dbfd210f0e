"""Stand-ins for the providers, written from their public documentation, serving the real
protocols on 127.0.0.1 (an ephemeral port), for this plugin's tests and a cooperative's own.

- :class:`WhatsAppDouble`, the WhatsApp Business Cloud API (developers.facebook.com/docs/
  whatsapp/cloud-api: *Messages* reference, *Send message templates*, *Error codes*):
  ``POST /{version}/{phone-number-id}/messages`` with ``Authorization: Bearer``; a wrong token
  401 ``{"error": {"message", "type": "OAuthException", "code": 190, "fbtrace_id"}}``; an
  unknown phone number id 400 code ``100`` (``GraphMethodException``); ``messaging_product``
  must be ``whatsapp`` and ``to`` given (400 code ``100``, *Invalid parameter*); a ``text``
  message outside the customer service window is refused 400 code ``131047``
  (*Re-engagement message*); a template must exist in the language asked (400 code
  ``132001``, *Template name does not exist in the translation*) and get as many body
  parameters as its placeholders (400 code ``132000``, *Number of parameters does not match*);
  ``biz_opaque_callback_data`` at most 512 characters. Accepted: 200 ``messaging_product``,
  ``contacts`` (``input``, ``wa_id``), ``messages`` (``id`` ``wamid....``,
  ``message_status`` ``accepted``). Meta documents no idempotency key: every accepted request
  is a message to the handset. A 5xx is code ``131000`` *Something went wrong*.
- :class:`InfobipDouble`, Infobip's SMS API (infobip.com/docs/api: *Send SMS message*,
  *Response status and error codes*, *Idempotent message sending*):
  ``POST /sms/2/text/advanced`` with ``Authorization: App <key>`` (else 401
  ``{"requestError": {"serviceException": {"messageId": "UNAUTHORIZED", "text"}}}``); body
  ``messages`` (each ``from``, ``destinations`` (``to``, ``messageId``), ``text``; 400
  ``BAD_REQUEST`` without them); answer ``bulkId`` and per destination ``to``, ``messageId``
  and ``status`` (``groupId`` 1 ``PENDING``, ``id`` 26 ``PENDING_ACCEPTED``, *Message sent
  to next instance*; a destination that is not a number: group 5 ``REJECTED``, ``id`` 52
  ``REJECTED_DESTINATION``). With idempotency enabled, a ``messageId`` already accepted is
  *rejected during processing*: the request is answered as usual, no second copy reaches the
  handset, and its delivery report is ``REJECTED_DUPLICATE_MESSAGE_ID``. A 5xx is
  ``GENERAL_ERROR``.
- :class:`SmtpDouble`, an SMTP server (RFC 5321): greeting 220, ``EHLO``/``HELO``, ``MAIL
  FROM``, ``RCPT TO`` (550 for an address it does not know, when told), ``DATA`` (354, the
  message ends with a line holding one dot, leading dots unstuffed), ``RSET``, ``NOOP``,
  ``QUIT``; it keeps what it accepted as parsed messages.

The controls (``fail_next``, ``delivered``, ``reports``...) are the doubles' own.
"""

from __future__ import annotations

import email
import itertools
import json
import re
import secrets
import socketserver
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["InfobipDouble", "SmtpDouble", "WhatsAppDouble"]


class _JsonServer:
    """A ThreadingHTTPServer on loopback answering POSTs with :meth:`answer`."""

    def __init__(self) -> None:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = None
                with double.lock:
                    double.requests.append((self.path, dict(self.headers), parsed))
                    status, body = double.answer(self.path, self.headers, parsed)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.failures: list[int] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Any:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, times: int = 1, status: int = 500) -> None:
        """Answer the next ``times`` requests with ``status`` (a provider's outage)."""
        self.failures.extend([status] * times)

    def answer(self, path: str, headers: Any, body: Any) -> tuple[int, Any]:
        raise NotImplementedError


class WhatsAppDouble(_JsonServer):
    """The WhatsApp Business Cloud API's message endpoint (see the module's docstring)."""

    VERSION = "v21.0"

    def __init__(self, *, token: str = "EAAG-test-token",  # noqa: S107 (a stand-in's)
                 phone_number_id: str = "106540352242922",
                 templates: dict[tuple[str, str], int] | None = None) -> None:
        super().__init__()
        self.token = token
        self.phone_number_id = phone_number_id
        #: Approved templates: (name, language code) -> number of body placeholders.
        self.templates = templates if templates is not None else {
            ("kopcore_notifikasi", "id"): 1}
        #: What reached handsets: to, text, biz_opaque_callback_data, wamid.
        self.delivered: list[dict[str, str]] = []
        self._ids = itertools.count(1)

    def _error(self, status: int, code: int, message: str,
               kind: str = "OAuthException") -> tuple[int, Any]:
        return status, {"error": {"message": message, "type": kind, "code": code,
                                  "fbtrace_id": secrets.token_urlsafe(8)}}

    def answer(self, path: str, headers: Any, body: Any) -> tuple[int, Any]:
        if self.failures:
            return self._error(self.failures.pop(0), 131000, "Something went wrong")
        if headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401, 190, "Invalid OAuth access token - Cannot parse access "
                                         "token")
        match = re.fullmatch(r"/(v\d+\.\d+)/([^/]+)/messages", path)
        if match is None or match[2] != self.phone_number_id:
            return self._error(400, 100, "Unsupported post request. Object does not exist",
                               "GraphMethodException")
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return self._error(400, 100, "(#100) The parameter messaging_product is required.")
        to = body.get("to")
        if not isinstance(to, str) or not to:
            return self._error(400, 100, "(#100) Invalid parameter")
        opaque = body.get("biz_opaque_callback_data", "")
        if not isinstance(opaque, str) or len(opaque) > 512:
            return self._error(400, 100, "(#100) Invalid parameter")
        if body.get("type") == "text":
            return self._error(400, 131047, "Re-engagement message")
        template = body.get("template")
        if body.get("type") != "template" or not isinstance(template, dict):
            return self._error(400, 100, "(#100) Invalid parameter")
        language = template.get("language")
        code = language.get("code") if isinstance(language, dict) else None
        placeholders = self.templates.get((str(template.get("name")), str(code)))
        if placeholders is None:
            return self._error(404, 132001, "Template name does not exist in the translation")
        texts = [p.get("text") for c in template.get("components") or []
                 if isinstance(c, dict) and c.get("type") == "body"
                 for p in c.get("parameters") or [] if isinstance(p, dict)]
        if len(texts) != placeholders or not all(isinstance(t, str) and t for t in texts):
            return self._error(400, 132000, "Number of parameters does not match the expected "
                                            "number of params")
        wamid = f"wamid.HBgN{next(self._ids):012d}"
        self.delivered.append({"to": to, "text": "\n".join(str(t) for t in texts),
                               "biz_opaque_callback_data": opaque, "id": wamid})
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                     "messages": [{"id": wamid, "message_status": "accepted"}]}


def _status(group: int, group_name: str, number: int, name: str, description: str
            ) -> dict[str, Any]:
    return {"groupId": group, "groupName": group_name, "id": number, "name": name,
            "description": description}


class InfobipDouble(_JsonServer):
    """Infobip's *Send SMS message* with idempotent sending enabled (see the docstring)."""

    def __init__(self, *, api_key: str = "test-api-key-0001") -> None:
        super().__init__()
        self.api_key = api_key
        #: What reached handsets: to, text, from, messageId.
        self.delivered: list[dict[str, str]] = []
        #: Delivery reports by messageId (the last one's status name).
        self.reports: list[tuple[str, str]] = []
        self._accepted: set[str] = set()
        self._bulks = itertools.count(1)

    @staticmethod
    def _error(status: int, code: str, text: str) -> tuple[int, Any]:
        return status, {"requestError": {"serviceException": {"messageId": code, "text": text}}}

    def answer(self, path: str, headers: Any, body: Any) -> tuple[int, Any]:
        if self.failures:
            return self._error(self.failures.pop(0), "GENERAL_ERROR",
                               "Something went wrong. Please contact support.")
        if headers.get("Authorization") != f"App {self.api_key}":
            return self._error(401, "UNAUTHORIZED", "Invalid login details")
        if path != "/sms/2/text/advanced":
            return self._error(404, "NOT_FOUND", "Requested URL not found")
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            return self._error(400, "BAD_REQUEST", "Bad request")
        answered = []
        for message in messages:
            destinations = message.get("destinations") if isinstance(message, dict) else None
            text = message.get("text") if isinstance(message, dict) else None
            if not isinstance(destinations, list) or not destinations \
                    or not isinstance(text, str):
                return self._error(400, "BAD_REQUEST", "Bad request")
            for destination in destinations:
                to = str(destination.get("to", "")) if isinstance(destination, dict) else ""
                message_id = str(destination.get("messageId") or secrets.token_hex(16))
                if not re.fullmatch(r"[0-9]{6,15}", to):
                    answered.append({"to": to, "messageId": message_id, "status": _status(
                        5, "REJECTED", 52, "REJECTED_DESTINATION", "Invalid destination")})
                    continue
                answered.append({"to": to, "messageId": message_id, "status": _status(
                    1, "PENDING", 26, "PENDING_ACCEPTED", "Message sent to next instance")})
                if message_id in self._accepted:  # rejected during processing
                    self.reports.append((message_id, "REJECTED_DUPLICATE_MESSAGE_ID"))
                    continue
                self._accepted.add(message_id)
                self.delivered.append({"to": to, "text": text,
                                       "from": str(message.get("from", "")),
                                       "messageId": message_id})
                self.reports.append((message_id, "DELIVERED_TO_HANDSET"))
        return 200, {"bulkId": f"bulk-{next(self._bulks)}", "messages": answered}


class SmtpDouble:
    """A small SMTP server on loopback (see the module's docstring)."""

    def __init__(self) -> None:
        double = self
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        #: Addresses answered ``550 5.1.1`` at RCPT TO.
        self.unknown: set[str] = set()
        #: Replies to the next MAIL FROM commands (e.g. ``451 4.3.0 ...``).
        self.failures: list[str] = []

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 localhost ESMTP ready")
                sender: str | None = None
                recipients: list[str] = []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    verb = line[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 localhost")
                    elif line.upper().startswith("MAIL FROM:"):
                        if double.failures:
                            self.reply(double.failures.pop(0))
                            continue
                        sender, recipients = line[10:].strip().strip("<>"), []
                        self.reply("250 2.1.0 Ok")
                    elif line.upper().startswith("RCPT TO:"):
                        address = line[8:].strip().strip("<>")
                        if sender is None:
                            self.reply("503 5.5.1 Error: need MAIL command")
                        elif address in double.unknown:
                            self.reply("550 5.1.1 Recipient address rejected: User unknown")
                        else:
                            recipients.append(address)
                            self.reply("250 2.1.5 Ok")
                    elif verb == "DATA":
                        if not recipients:
                            self.reply("503 5.5.1 Error: need RCPT command")
                            continue
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = bytearray()
                        while True:
                            chunk = self.rfile.readline()
                            if chunk in (b".\r\n", b".\n", b""):
                                break
                            data += chunk[1:] if chunk.startswith(b".") else chunk
                        with double.lock:
                            double.messages.append(email.message_from_bytes(bytes(data)))
                            double.envelopes.append((sender or "", list(recipients)))
                        sender, recipients = None, []
                        self.reply("250 2.0.0 Ok: queued")
                    elif verb == "RSET":
                        sender, recipients = None, []
                        self.reply("250 2.0.0 Ok")
                    elif verb == "NOOP":
                        self.reply("250 2.0.0 Ok")
                    elif verb == "QUIT":
                        self.reply("221 2.0.0 Bye")
                        return
                    else:
                        self.reply("502 5.5.2 Error: command not recognized")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.lock = threading.Lock()
        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> SmtpDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
