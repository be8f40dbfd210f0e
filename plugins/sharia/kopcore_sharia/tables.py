"""The sharia plugin's tables (created by its Alembic branch ``sharia``)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: One row per murabahah contract; the receivable is the member account ``account_id``.
#: Money columns are minor units.
murabahah = sa.Table(
    "sharia_murabahah",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("asset", sa.String(200), nullable=False),
    sa.Column("cost", sa.BigInteger, nullable=False),
    sa.Column("margin", sa.BigInteger, nullable=False),
    sa.Column("down_payment", sa.BigInteger, nullable=False),
    sa.Column("installments", sa.SmallInteger, nullable=False),
    sa.Column("rounding_unit", sa.BigInteger, nullable=False),
    sa.Column("contract_on", sa.Date, nullable=False),
    sa.Column("paid_installments", sa.SmallInteger, nullable=False),
    sa.Column("margin_recognised", sa.BigInteger, nullable=False),
    sa.Column("muqasah", sa.BigInteger, nullable=False),
    sa.Column("tazir", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("settled_on", sa.Date, nullable=True),
    # Revision sharia0002: margin recognition method and ageing.
    sa.Column("recognition", sa.String(16), nullable=False),
    sa.Column("next_due_on", sa.Date, nullable=True),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("collectibility", sa.String(16), nullable=True),
    # Revision sharia0003: the allowance (PPAP) formed for the contract at the last end of day.
    sa.Column("allowance", sa.BigInteger, nullable=False),
    # Revision sharia0005: the ta'zir agreed at signing (a flat amount per late installment
    # plus an amount per day it is late) and the ta'widh collected.
    sa.Column("tazir_flat", sa.BigInteger, nullable=False, default=0),
    sa.Column("tazir_daily", sa.BigInteger, nullable=False, default=0),
    sa.Column("tawidh", sa.BigInteger, nullable=False, default=0),
)
#: Ta'zir charges, each with the operator's finding that the member was able to pay.
tazir = sa.Table(
    "sharia_tazir",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=False),
    # Revision sharia0005: the late installment charged (unique per contract; null before).
    sa.Column("installment", sa.SmallInteger, nullable=True),
)
#: Ta'widh: the real cost a member's late payment caused the cooperative, with its evidence.
tawidh = sa.Table(
    "sharia_tawidh",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("installment", sa.SmallInteger, nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("cost", sa.String(200), nullable=False),
    sa.Column("evidence", sa.String(200), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=False),
)

#: Kolektibilitas of financing by days past due (operator-configurable).
collectibility_classes = sa.Table(
    "sharia_collectibility_classes",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("min_days", sa.Integer, nullable=False, unique=True),
    # Revision sharia0003: allowance (PPAP) required, basis points of the base (50 = 0.5 %).
    sa.Column("allowance_bp", sa.Integer, nullable=False),
)

#: A mudharabah pool: the savings and deposits sharing one income, with its default nisbah
#: (member's share in parts per million) and the sharing basis.
pools = sa.Table(
    "sharia_mudharabah_pools",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("basis", sa.String(16), nullable=False),
    sa.Column("nisbah_ppm", sa.Integer, nullable=False),
    sa.Column("rounding_unit", sa.BigInteger, nullable=False),
    sa.Column("created_on", sa.Date, nullable=False),
)

mudharabah_accounts = sa.Table(
    "sharia_mudharabah_accounts",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("pool_code", sa.String(32), nullable=False),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("nisbah_ppm", sa.Integer, nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("term_months", sa.Integer, nullable=True),
    sa.Column("maturity_on", sa.Date, nullable=True),
    sa.Column("payout_account_id", sa.Integer, nullable=True),
    sa.Column("accumulated_through", sa.Date, nullable=True),
    # Revision sharia0003: a deposit's instruction at maturity (hold, payout, rollover), the
    # account a payout goes to, and how many times it rolled over.
    sa.Column("at_maturity", sa.String(16), nullable=False),
    sa.Column("settlement_account_id", sa.Integer, nullable=True),
    sa.Column("rollovers", sa.Integer, nullable=False),
)

#: Deposits settled at maturity by end of day, one row per account and maturity date: paid out
#: (with the entry) or rolled over (with the new maturity date).
deposit_maturities = sa.Table(
    "sharia_deposit_maturities",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("maturity_on", sa.Date, primary_key=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("next_maturity_on", sa.Date, nullable=True),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=True),
)

#: End-of-day balances of mudharabah accounts, for the monthly average balances.
mudharabah_days = sa.Table(
    "sharia_mudharabah_days",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("business_date", sa.Date, primary_key=True),
    sa.Column("balance", sa.BigInteger, nullable=False),
)

distributions = sa.Table(
    "sharia_mudharabah_distributions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("pool_code", sa.String(32), nullable=False),
    sa.Column("period_from", sa.Date, nullable=False),
    sa.Column("period_to", sa.Date, nullable=False),
    sa.Column("basis", sa.String(16), nullable=False),
    sa.Column("distributable", sa.BigInteger, nullable=False),
    sa.Column("pool_average", sa.BigInteger, nullable=False),
    sa.Column("members_share", sa.BigInteger, nullable=False),
    sa.Column("accounts", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    # Revision sharia0007: a loss month (distributable and shares negative) whose loss the
    # cooperative bears for the manager's negligence recorded here.
    sa.Column("negligence", sa.String(200), nullable=True),
    sa.UniqueConstraint("pool_code", "period_to", name="uq_sharia_distributions_period"),
)

shares = sa.Table(
    "sharia_mudharabah_shares",
    metadata,
    sa.Column("distribution_id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("average_balance", sa.BigInteger, nullable=False),
    sa.Column("nisbah_ppm", sa.Integer, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=True),
)

#: Nisbah changes, each with the member's recorded consent.
nisbah_changes = sa.Table(
    "sharia_nisbah_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("old_ppm", sa.Integer, nullable=False),
    sa.Column("new_ppm", sa.Integer, nullable=False),
    sa.Column("consent", sa.String(200), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
)

#: Maker-checker decisions of the plugin (a wadiah bonus, a muqasah): proposed by one user,
#: approved by another, posted on approval.
proposals = sa.Table(
    "sharia_proposals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("period", sa.String(16), nullable=True),
    sa.Column("cash_account", sa.String(64), nullable=True),
    sa.Column("memo", sa.String(200), nullable=False),
    sa.Column("maker", sa.String(64), nullable=False),
    sa.Column("proposed_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("checker", sa.String(64), nullable=True),
    sa.Column("decided_on", sa.Date, nullable=True),
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.Index("uq_sharia_proposals_period", "kind", "account_id", "period", unique=True,
             postgresql_where=sa.text("status <> 'rejected'"),
             sqlite_where=sa.text("status <> 'rejected'")),
)

#: GL accounts the operator adds to the sharia unit's books (its own cash, say, for a KSPPS
#: the whole chart); the plugin's own GL accounts belong to it already.
unit_gl = sa.Table(
    "sharia_unit_gl",
    metadata,
    sa.Column("gl_key", sa.String(64), primary_key=True),
)

#: The cooperative's acquisition of the goods of a murabahah before it sells them (revision
#: sharia0006): bought from the supplier (``purchase``) or through the member as its agent
#: (``wakalah``: the money advanced, then the supplier's invoice reported). Status ``agent``
#: (wakalah, goods not yet bought), ``owned`` (the cooperative's inventory) or ``sold`` (the
#: murabahah ``contract_account_id`` sold them).
acquisitions = sa.Table(
    "sharia_murabahah_acquisitions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("asset", sa.String(200), nullable=False),
    sa.Column("cost", sa.BigInteger, nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("supplier", sa.String(200), nullable=True),
    sa.Column("wakalah_document", sa.String(200), nullable=True),
    sa.Column("purchase_document", sa.String(200), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("recorded_on", sa.Date, nullable=False),
    sa.Column("owned_on", sa.Date, nullable=True),
    sa.Column("entry_id", sa.Integer, nullable=False),
    sa.Column("purchase_entry_id", sa.Integer, nullable=True),
    sa.Column("contract_account_id", sa.Integer, nullable=True),
    sa.Column("actor", sa.String(64), nullable=False),
)

#: ZIS per PSAK 409 (revision sharia0008): each receipt (``in``) and distribution (``out``) of a
#: fund, a zakat distribution with its asnaf.
zis_movements = sa.Table(
    "sharia_zis_movements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("fund", sa.String(16), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("asnaf", sa.String(16), nullable=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("memo", sa.String(200), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=False),
    # Revision sharia0011: a zakat or infak receipt's payer (``individual`` or ``entity``) and
    # whether an infak is restricted to a purpose (muqayyadah); NULL on earlier rows.
    sa.Column("payer", sa.String(16), nullable=True),
    sa.Column("restricted", sa.Boolean, nullable=True),
)
