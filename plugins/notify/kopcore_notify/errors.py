"""Why a message did not go: the event stays in the outbox and is tried again later."""

from __future__ import annotations

from kopcore.errors import KopcoreError
from kopcore_notify.messages import _


class ChannelUnavailable(KopcoreError):
    """The provider did not answer, answered 5xx or 429, or the channel is not configured."""

    code = "notify-channel-unavailable"
    title = _("Notification channel unavailable")
    status = 503


class ChannelRefused(KopcoreError):
    """The provider refused the message (a wrong number, a template it does not know)."""

    code = "notify-channel-refused"
    title = _("Notification channel refused the message")
    status = 422
