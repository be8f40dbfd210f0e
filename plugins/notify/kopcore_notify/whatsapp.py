"""WhatsApp through the WhatsApp Business Cloud API (Meta's Graph API), as its reference
documents sending a message.

``POST {url}/{version}/{phone-number-id}/messages`` with ``Authorization: Bearer <token>``
and a JSON body: ``messaging_product`` ``whatsapp``, ``recipient_type`` ``individual``,
``to`` (the phone with its country code), ``type`` ``template`` and ``template``: ``name``,
``language`` (``code``, ``policy`` ``deterministic``) and ``components``: one ``body``
component whose one ``text`` parameter is the message. A business may start a conversation
only with a template approved in WhatsApp Manager, so the cooperative registers one
(category *utility*, language Indonesian, body ``{{1}}`` with its own words around it) and
names it in ``KOPCORE_NOTIFY_WHATSAPP_TEMPLATE``. ``biz_opaque_callback_data`` carries the
event id, which Meta returns in the message's status webhooks.

The answer is ``messaging_product``, ``contacts`` (``input``, ``wa_id``) and ``messages``
(``id``, ``wamid....``). An error is ``{"error": {"message", "type", "code",
"error_subcode", "error_data", "fbtrace_id"}}``: a 4xx is a refusal (``notify-channel-refused``
naming Meta's ``code``), except 429 and code ``130429``/``131048``/``131056`` (rate limits),
which like a 5xx, a timeout or a body that is not Meta's are ``notify-channel-unavailable``;
both leave the event to be tried again.

The Cloud API documents no idempotency key: a message handed over twice (the transaction
recording the first was lost) reaches the member twice. The event id in
``biz_opaque_callback_data`` lets the cooperative match Meta's webhooks to the events.
"""

from __future__ import annotations

from typing import Any

import httpx

from kopcore.context import Context
from kopcore.records import Notification
from kopcore_notify.config import ChannelConfig, international
from kopcore_notify.errors import ChannelRefused, ChannelUnavailable
from kopcore_notify.messages import _

NAME = "whatsapp"
DEFAULT_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
#: Meta's error codes that mean "too many messages now": tried again later.
RATE_LIMITED = frozenset({4, 80007, 130429, 131048, 131056})
#: What Meta keeps of a template parameter's text.
MAX_PARAMETER = 1024


def body(notification: Notification, template: str, language: str) -> dict[str, Any]:
    """The request body of a template message carrying the notification's text."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": international(notification.recipient),
        "type": "template",
        "template": {
            "name": template,
            "language": {"policy": "deterministic", "code": language},
            "components": [{"type": "body", "parameters": [
                {"type": "text", "text": notification.text[:MAX_PARAMETER]}]}],
        },
        "biz_opaque_callback_data": notification.event_id,
    }


def send(ctx: Context, notification: Notification) -> None:
    """Hand the message to the Cloud API; raise when it is not accepted."""
    config = ChannelConfig.read(NAME, ctx.environment)
    token = config.require("token")
    phone_number_id = config.require("phone_number_id")
    url = (f"{config.get('url', DEFAULT_URL).rstrip('/')}/"
           f"{config.get('api_version', DEFAULT_VERSION)}/{phone_number_id}/messages")
    payload = body(notification, config.get("template", "kopcore_notifikasi"),
                   config.get("language", "id"))
    try:
        response = httpx.post(url, json=payload, timeout=config.seconds(),
                              headers={"Authorization": f"Bearer {token}"},
                              follow_redirects=False)
    except httpx.HTTPError as exc:
        raise ChannelUnavailable(_("WhatsApp did not answer: {error}",
                                   error=type(exc).__name__)) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    error = answer.get("error") if isinstance(answer, dict) else None
    if response.status_code == 200 and isinstance(answer, dict) \
            and isinstance(answer.get("messages"), list) and answer["messages"] \
            and isinstance(answer["messages"][0], dict) and answer["messages"][0].get("id"):
        return
    if isinstance(error, dict) and 400 <= response.status_code < 500 \
            and response.status_code != 429 and error.get("code") not in RATE_LIMITED:
        raise ChannelRefused(_("WhatsApp refused the message: {code}: {reason}",
                               code=str(error.get("code"))[:16],
                               reason=str(error.get("message", ""))[:200]))
    raise ChannelUnavailable(_("WhatsApp answered HTTP {status}; tried again later",
                               status=response.status_code))
