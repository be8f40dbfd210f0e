"""The plugin's messages: marked with ``_`` and translated from ``locale/<locale>/LC_MESSAGES/
notify.po`` (see kopcore's docs/i18n.md)."""

from __future__ import annotations

from kopcore.errors import Messages

_ = Messages("notify", __name__)

__all__ = ["_"]
