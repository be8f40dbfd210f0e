"""SMS through Infobip's SMS API, as its reference documents *Send SMS message*.

``POST {base URL}/sms/2/text/advanced`` with ``Authorization: App <API key>`` and a JSON
body ``messages``: one message with ``from`` (the sender ID), ``destinations`` (``to``, the
phone with its country code, and ``messageId``) and ``text``. The base URL is the account's
own (``https://xxxxx.api.infobip.com``). The answer is ``bulkId`` and ``messages``: ``to``,
``messageId`` and ``status`` (``groupId``, ``groupName``, ``id``, ``name``, ``description``);
status group 1 ``PENDING`` means accepted, group 5 ``REJECTED`` a refusal. An error is
``{"requestError": {"serviceException": {"messageId", "text"}}}``: a 4xx is a refusal, a
429, a 5xx, a timeout or a body that is not Infobip's is ``notify-channel-unavailable``.

``messageId`` is the event id: Infobip's *idempotent message sending* (enabled for the
account on request) rejects, during processing, a message whose ``messageId`` it already
accepted within the grace period, so a retried or replayed event reaches the member once.
"""

from __future__ import annotations

from typing import Any

import httpx

from kopcore.context import Context
from kopcore.records import Notification
from kopcore_notify.config import ChannelConfig, international
from kopcore_notify.errors import ChannelRefused, ChannelUnavailable
from kopcore_notify.messages import _

NAME = "infobip"
PATH = "/sms/2/text/advanced"
PENDING, REJECTED = 1, 5


def body(notification: Notification, sender: str) -> dict[str, Any]:
    """The request body of one SMS to one destination, its ``messageId`` the event id."""
    return {"messages": [{
        "from": sender,
        "destinations": [{"to": international(notification.recipient),
                          "messageId": notification.event_id}],
        "text": notification.text,
    }]}


def send(ctx: Context, notification: Notification) -> None:
    """Hand the SMS to Infobip; raise when it is not accepted."""
    config = ChannelConfig.read(NAME, ctx.environment)
    base = config.require("url").rstrip("/")
    key = config.require("api_key")
    try:
        response = httpx.post(base + PATH, json=body(notification, config.get("sender",
                                                                              "InfoSMS")),
                              timeout=config.seconds(), follow_redirects=False,
                              headers={"Authorization": f"App {key}",
                                       "Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ChannelUnavailable(_("Infobip did not answer: {error}",
                                   error=type(exc).__name__)) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code == 200 and isinstance(answer, dict):
        sent = answer.get("messages")
        status = sent[0].get("status") if isinstance(sent, list) and sent \
            and isinstance(sent[0], dict) else None
        if isinstance(status, dict) and status.get("groupId") == PENDING:
            return
        if isinstance(status, dict) and status.get("groupId") == REJECTED:
            raise ChannelRefused(_("Infobip rejected the SMS: {code}: {reason}",
                                   code=str(status.get("name"))[:64],
                                   reason=str(status.get("description", ""))[:200]))
    refusal = answer.get("requestError", {}).get("serviceException") \
        if isinstance(answer, dict) and isinstance(answer.get("requestError"), dict) else None
    if isinstance(refusal, dict) and 400 <= response.status_code < 500 \
            and response.status_code != 429:
        raise ChannelRefused(_("Infobip refused the SMS: {code}: {reason}",
                               code=str(refusal.get("messageId"))[:64],
                               reason=str(refusal.get("text", ""))[:200]))
    raise ChannelUnavailable(_("Infobip answered HTTP {status}; tried again later",
                               status=response.status_code))
