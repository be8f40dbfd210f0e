"""Tables of musyarakah financing (revision ``sharia0010``), in the plugin's metadata.

Money columns are minor units. The cooperative's investment is the member account
``account_id`` (GL ``sharia.musyarakah_investment``): its balance is the investment's carrying
amount, what the statements and the NPF count as outstanding.
"""

from __future__ import annotations

import sqlalchemy as sa

from kopcore_sharia.tables import metadata

#: One row per musyarakah contract, permanent or diminishing (mutanaqisah).
musyarakah = sa.Table(
    "sharia_musyarakah",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.Integer, nullable=False),
    #: ``permanent`` (capital returned at the end) or ``diminishing`` (bought by installments).
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("business", sa.String(200), nullable=False),
    #: ``revenue`` (revenue sharing) or ``profit`` (profit-loss sharing) of a permanent one.
    sa.Column("basis", sa.String(16), nullable=False),
    #: The cooperative's share of the result in parts per million (null: a mutanaqisah's ujrah
    #: is shared by ownership).
    sa.Column("nisbah_ppm", sa.Integer, nullable=True),
    #: The cooperative's contribution (cash paid, or a non-cash asset at its fair value).
    sa.Column("capital", sa.BigInteger, nullable=False),
    sa.Column("form", sa.String(16), nullable=False),
    sa.Column("asset", sa.String(200), nullable=True),
    sa.Column("carrying_value", sa.BigInteger, nullable=True),
    #: The member's contribution, recorded (the loss is borne in proportion to both).
    sa.Column("member_capital", sa.BigInteger, nullable=False),
    sa.Column("member_contribution", sa.String(200), nullable=False),
    sa.Column("term_months", sa.Integer, nullable=False),
    sa.Column("contract_on", sa.Date, nullable=False),
    sa.Column("maturity_on", sa.Date, nullable=False),
    sa.Column("installments", sa.Integer, nullable=True),
    #: A mutanaqisah's monthly ujrah for the whole asset, agreed at signing.
    sa.Column("ujrah", sa.BigInteger, nullable=False),
    sa.Column("rounding_unit", sa.BigInteger, nullable=False),
    sa.Column("paid_installments", sa.Integer, nullable=False),
    sa.Column("reports", sa.Integer, nullable=False),
    sa.Column("income", sa.BigInteger, nullable=False),
    sa.Column("losses", sa.BigInteger, nullable=False),
    sa.Column("returned", sa.BigInteger, nullable=False),
    sa.Column("deferred_gain", sa.BigInteger, nullable=False),
    sa.Column("gain_recognised", sa.BigInteger, nullable=False),
    #: A non-cash contribution's useful life (null: not depreciated, e.g. land) and the
    #: depreciation charged against the investment so far (PSAK 406 par. 29).
    sa.Column("useful_life_months", sa.Integer, nullable=True),
    sa.Column("depreciated", sa.BigInteger, nullable=False),
    #: ``active``, ``settled`` (returned or bought in full) or ``ended`` (with a receivable).
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("ended_on", sa.Date, nullable=True),
    sa.Column("next_due_on", sa.Date, nullable=True),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("collectibility", sa.String(16), nullable=True),
    sa.Column("allowance", sa.BigInteger, nullable=False),
    sa.Column("receivable_account_id", sa.Integer, nullable=True),
    sa.Column("shortfall_ground", sa.String(200), nullable=True),
)

#: The member's business result reports, one per month of a permanent musyarakah, with the
#: cooperative's share: income (positive) or the loss it bore (negative; zero when the
#: partner's negligence is recorded).
musyarakah_reports = sa.Table(
    "sharia_musyarakah_reports",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("period", sa.Integer, primary_key=True),
    sa.Column("result", sa.BigInteger, nullable=False),
    sa.Column("share", sa.BigInteger, nullable=False),
    sa.Column("negligence", sa.String(200), nullable=True),
    sa.Column("memo", sa.String(200), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=True),
)
