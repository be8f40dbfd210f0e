"""kopcore-notify: WhatsApp, SMS and e-mail channels for kopcore's event outbox.

Channels (``kopcore_notification_channels``), chosen by the setting ``notification_channel``
or per member (``kopcore notify member-channel``):

- ``notify.whatsapp``: the WhatsApp Business Cloud API, a template message
  (``KOPCORE_NOTIFY_WHATSAPP_*``);
- ``notify.sms``: Infobip's SMS API, the event id as the message id
  (``KOPCORE_NOTIFY_INFOBIP_*``);
- ``notify.email``: SMTP, to the member's e-mail address (``KOPCORE_NOTIFY_SMTP_*``).

The kernel hands each channel an event's message after the transaction that recorded it
committed, and tries again with the same event id after a failure. See README.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import kopcore
from kopcore.records import NotificationChannel
from kopcore_notify import email, sms, whatsapp

__version__ = "0.1.0"
#: The kernel contract this plugin is written for (see kopcore.contract).
KOPCORE_CONTRACT = "1.2"


@kopcore.hookimpl
def kopcore_notification_channels() -> Sequence[NotificationChannel]:
    return [
        NotificationChannel("notify.whatsapp", "WhatsApp Business Cloud API (template "
                            "message); settings KOPCORE_NOTIFY_WHATSAPP_*", whatsapp.send),
        NotificationChannel("notify.sms", "SMS through Infobip; settings "
                            "KOPCORE_NOTIFY_INFOBIP_*", sms.send),
        NotificationChannel("notify.email", "E-mail through SMTP to the member's address; "
                            "settings KOPCORE_NOTIFY_SMTP_*", email.send, address="email"),
    ]
