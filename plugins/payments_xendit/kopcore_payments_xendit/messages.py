"""The plugin's messages: marked with ``_`` and translated from ``locale/<locale>/LC_MESSAGES/
payments_xendit.po`` when the API or the CLI shows them (see kopcore's docs/i18n.md)."""

from __future__ import annotations

from kopcore.errors import Messages

_ = Messages("payments_xendit", __name__)

__all__ = ["_"]
