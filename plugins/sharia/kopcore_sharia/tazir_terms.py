"""The ta'zir terms a murabahah or an ijarah agrees at signing (Fatwa DSN-MUI 17/2000).

A flat amount per late installment (for an ijarah: per late rent) plus an amount per day it is
late, in integer minor units; none agreed (both 0), none can be charged. Both contracts share
the operation fields that name the terms, their check at signing, and what they allow on a
late installment.
"""

from __future__ import annotations

from datetime import date

import attrs

from kopcore.errors import ValidationError
from kopcore.money import Money
from kopcore_sharia.messages import _


@attrs.frozen
class TazirTerms:
    #: Per late installment (rent), and per day it is late.
    flat: int
    daily: int

    @classmethod
    def agreed(cls, flat: Money | None, daily: Money | None) -> TazirTerms:
        """The terms agreed at signing (one not named: 0); refused when negative."""
        terms = cls(0 if flat is None else flat.minor, 0 if daily is None else daily.minor)
        if terms.flat < 0 or terms.daily < 0:
            raise ValidationError(_("ta'zir terms may not be negative"),
                                  field="tazir_flat" if terms.flat < 0 else "tazir_daily")
        return terms

    def allows(self, due_on: date, day: date) -> int:
        """The ta'zir allowed at ``day`` on an installment due on ``due_on`` and late:
        ``flat + daily x days late``."""
        return self.flat + self.daily * (day - due_on).days


def flat_help(late: str) -> dict[str, str]:
    """The metadata of the operation field ``tazir_flat`` (default 0): rupiah per late ``late``
    (installment, rent)."""
    return {"help": f"Ta'zir agreed at signing: rupiah per late {late} (with tazir_daily; none "
                    f"agreed, none can be charged)"}


def daily_help(late: str) -> dict[str, str]:
    """The metadata of the operation field ``tazir_daily`` (default 0): rupiah per day ``late``
    (an installment, a rent) is late."""
    return {"help": f"Ta'zir agreed at signing: rupiah per day {late} is late"}
