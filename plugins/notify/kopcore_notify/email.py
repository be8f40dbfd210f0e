"""E-mail through the cooperative's SMTP server (RFC 5321), with the standard library's
``smtplib``.

``KOPCORE_NOTIFY_SMTP_HOST`` and ``..._PORT`` (default 587), ``..._STARTTLS`` (``yes``, the
default, or ``no`` for a server on the same host), ``..._USER`` and ``..._PASSWORD`` (AUTH
after STARTTLS, when set), ``..._FROM`` (the sender address) and ``..._TIMEOUT``. The message
is plain text in UTF-8; its ``Message-ID`` is made from the event id (``<event id@kopcore>``),
so a message sent again after a lost commit or a replay carries the same Message-ID, by which
mail clients and archives know it as one message (RFC 5322, section 3.6.4). A 4xx reply or a
lost connection is ``notify-channel-unavailable``, a 5xx reply a refusal.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from kopcore.context import Context
from kopcore.records import Notification
from kopcore_notify.config import ChannelConfig
from kopcore_notify.errors import ChannelRefused, ChannelUnavailable
from kopcore_notify.messages import _

NAME = "smtp"


def message(notification: Notification, sender: str, cooperative: str) -> EmailMessage:
    """The e-mail carrying the notification."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = notification.recipient
    mail["Subject"] = notification.subject or cooperative
    mail["Message-ID"] = f"<{notification.event_id or 'kopcore'}@kopcore>"
    mail.set_content(notification.text)
    return mail


def send(ctx: Context, notification: Notification) -> None:
    """Hand the e-mail to the SMTP server; raise when it is not accepted."""
    config = ChannelConfig.read(NAME, ctx.environment)
    host = config.require("host")
    sender = config.require("from")
    try:
        port = int(config.get("port", "587"))
    except ValueError:
        raise ChannelUnavailable(_("{variable} must be a port number",
                                   variable=config.variable("port"))) from None
    mail = message(notification, sender, ctx.settings.cooperative_name)
    try:
        with smtplib.SMTP(host, port, timeout=config.seconds()) as server:
            if config.get("starttls", "yes").lower() not in ("no", "false", "0"):
                server.starttls(context=ssl.create_default_context())
            if config.get("user"):
                server.login(config.get("user"), config.require("password"))
            server.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise ChannelRefused(_("the SMTP server refused {recipient}",
                               recipient=notification.recipient)) from exc
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise ChannelRefused(_("the SMTP server refused the e-mail: {code}",
                                   code=exc.smtp_code)) from None
        raise ChannelUnavailable(_("the SMTP server answered {code}; tried again later",
                                   code=exc.smtp_code)) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise ChannelUnavailable(_("the SMTP server did not answer: {error}",
                                   error=type(exc).__name__)) from None
