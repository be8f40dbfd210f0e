"""A channel's settings: the cooperative's variables ``KOPCORE_NOTIFY_<CHANNEL>_<KEY>``, read
from ``Context.environment`` (the process environment, or on a platform the cooperative's own
``environment`` setting), so no cooperative sends with another's credentials. Secrets are
never stored, logged or shown (``repr`` hides the values)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import attrs

from kopcore_notify.errors import ChannelUnavailable
from kopcore_notify.messages import _


@attrs.frozen
class ChannelConfig:
    name: str
    values: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    @classmethod
    def read(cls, name: str, environment: Mapping[str, str]) -> ChannelConfig:
        prefix = f"KOPCORE_NOTIFY_{name.upper()}_"
        return cls(name, {k[len(prefix):].lower(): v for k, v in environment.items()
                          if k.startswith(prefix)})

    def variable(self, key: str) -> str:
        return f"KOPCORE_NOTIFY_{self.name.upper()}_{key.upper()}"

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default) or default

    def require(self, key: str) -> str:
        value = self.values.get(key, "")
        if not value:
            raise ChannelUnavailable(_("the {channel} channel is not configured: set "
                                       "{variable}", channel=self.name,
                                       variable=self.variable(key)))
        return value

    def seconds(self, key: str = "timeout", default: str = "10") -> float:
        try:
            value = Decimal(self.get(key, default))
        except InvalidOperation:
            value = Decimal(-1)
        if not value.is_finite() or value <= 0:
            raise ChannelUnavailable(_("{variable} must be seconds",
                                       variable=self.variable(key)))
        return float(value)


def international(phone: str) -> str:
    """An Indonesian phone as providers want it: digits with the country code, no ``+``
    (``0812-3456-7890`` and ``+62 812 3456 7890`` become ``6281234567890``)."""
    digits = re.sub(r"[^0-9]", "", phone)
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    return digits
