"""What posting a period's jasa simpanan writes, computed before it is written."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.define
class Settlement:
    """What posting the unposted interest of some accounts writes, before it is written: one
    ``savings_interest_postings`` record per account with accrual rows (gross and tax 0 when it
    earned nothing or was closed), the ``savings_interest_months`` rows of the months that
    paid something, the net credited to each member account (in account id order), the gross
    per expense GL key, the tax withheld, and the accounts whose carried-over interest was
    paid. :func:`kopcore_savings.interest.settle_python` computes it with the Python
    rules, :func:`kopcore_savings.interest_sql.settle_sql` in the database."""

    records: list[dict[str, Any]] = attrs.Factory(list)
    monthly: list[dict[str, Any]] = attrs.Factory(list)
    credits: list[tuple[str, int]] = attrs.Factory(list)
    expense: dict[str, int] = attrs.Factory(dict)
    tax: int = 0
    paid_carried: list[int] = attrs.Factory(list)
