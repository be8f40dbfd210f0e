"""mudharabah pools and accounts, proposals, ta'zir, murabahah ageing, sharia unit

Revision ID: sharia0002
Revises: sharia0001
Create Date: 2026-11-28
"""

import calendar
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0002"
down_revision: str | None = "sharia0001"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_CLASSES = (("1", "Lancar", 0), ("2", "Kurang Lancar", 91), ("3", "Diragukan", 121),
                   ("4", "Macet", 181))


def _add_month(day: date) -> date:
    year, month = divmod(day.year * 12 + day.month, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def upgrade() -> None:
    with op.batch_alter_table("sharia_murabahah") as batch:
        batch.add_column(sa.Column("recognition", sa.String(16), nullable=False,
                                   server_default="proportional"))
        batch.add_column(sa.Column("next_due_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("days_past_due", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("collectibility", sa.String(16), nullable=True))
        batch.create_check_constraint("ck_sharia_murabahah_recognition_known",
                                      "recognition IN ('proportional','annuity')")
    # Contracts made before this revision: the next installment is due a month after the last
    # paid one (installments are monthly from the contract date).
    m = sa.table("sharia_murabahah", sa.column("account_id", sa.Integer),
                 sa.column("contract_on", sa.Date), sa.column("paid_installments", sa.Integer),
                 sa.column("status", sa.String), sa.column("next_due_on", sa.Date))
    conn = op.get_bind()
    for row in conn.execute(sa.select(m.c.account_id, m.c.contract_on, m.c.paid_installments)
                            .where(m.c.status == "active")).all():
        due = row.contract_on
        for _ in range(row.paid_installments + 1):
            due = _add_month(due)
        conn.execute(sa.update(m).where(m.c.account_id == row.account_id)
                     .values(next_due_on=due))
    op.create_table(
        "sharia_tazir",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("journal_entries.id"), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_sharia_tazir_amount_positive"),
    )
    op.create_index("ix_sharia_tazir_account_id", "sharia_tazir", ["account_id"])
    classes = op.create_table(
        "sharia_collectibility_classes",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("min_days", sa.Integer(), nullable=False, unique=True),
    )
    op.bulk_insert(classes, [{"code": c, "name": n, "min_days": d} for c, n, d in DEFAULT_CLASSES])
    op.create_table(
        "sharia_mudharabah_pools",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("nisbah_ppm", sa.Integer(), nullable=False),
        sa.Column("rounding_unit", sa.BigInteger(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.CheckConstraint("basis IN ('revenue','profit')", name="ck_sharia_pools_basis_known"),
        sa.CheckConstraint("nisbah_ppm > 0 AND nisbah_ppm < 1000000",
                           name="ck_sharia_pools_nisbah_range"),
        sa.CheckConstraint("rounding_unit > 0", name="ck_sharia_pools_rounding_unit"),
    )
    op.create_table(
        "sharia_mudharabah_accounts",
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("pool_code", sa.String(32), sa.ForeignKey("sharia_mudharabah_pools.code"),
                  nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("nisbah_ppm", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("maturity_on", sa.Date(), nullable=True),
        sa.Column("payout_account_id", sa.Integer(), sa.ForeignKey("accounts.id"),
                  nullable=True),
        sa.Column("accumulated_through", sa.Date(), nullable=True),
        sa.CheckConstraint("kind IN ('savings','deposit')", name="ck_sharia_mudharabah_kind"),
        sa.CheckConstraint("nisbah_ppm > 0 AND nisbah_ppm < 1000000",
                           name="ck_sharia_mudharabah_nisbah_range"),
    )
    op.create_index("ix_sharia_mudharabah_accounts_pool_code", "sharia_mudharabah_accounts",
                    ["pool_code"])
    op.create_table(
        "sharia_mudharabah_days",
        sa.Column("account_id", sa.Integer(), primary_key=True),
        sa.Column("business_date", sa.Date(), primary_key=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_sharia_mudharabah_days_business_date", "sharia_mudharabah_days",
                    ["business_date"])
    op.create_table(
        "sharia_mudharabah_distributions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pool_code", sa.String(32), sa.ForeignKey("sharia_mudharabah_pools.code"),
                  nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("distributable", sa.BigInteger(), nullable=False),
        sa.Column("pool_average", sa.BigInteger(), nullable=False),
        sa.Column("members_share", sa.BigInteger(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.UniqueConstraint("pool_code", "period_to", name="uq_sharia_distributions_period"),
    )
    op.create_table(
        "sharia_mudharabah_shares",
        sa.Column("distribution_id", sa.Integer(),
                  sa.ForeignKey("sharia_mudharabah_distributions.id"), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("average_balance", sa.BigInteger(), nullable=False),
        sa.Column("nisbah_ppm", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
    )
    op.create_table(
        "sharia_nisbah_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("old_ppm", sa.Integer(), nullable=False),
        sa.Column("new_ppm", sa.Integer(), nullable=False),
        sa.Column("consent", sa.String(200), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
    )
    op.create_table(
        "sharia_proposals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(16), nullable=True),
        sa.Column("cash_account", sa.String(64), nullable=True),
        sa.Column("memo", sa.String(200), nullable=False),
        sa.Column("maker", sa.String(64), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("checker", sa.String(64), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('wadiah-bonus','muqasah')",
                           name="ck_sharia_proposals_kind_known"),
        sa.CheckConstraint("status IN ('pending','approved','rejected')",
                           name="ck_sharia_proposals_status_known"),
        sa.CheckConstraint("amount > 0", name="ck_sharia_proposals_amount_positive"),
    )
    op.create_table(
        "sharia_unit_gl",
        sa.Column("gl_key", sa.String(64), sa.ForeignKey("gl_accounts.key"), primary_key=True),
    )


def downgrade() -> None:
    for table in ("sharia_unit_gl", "sharia_proposals", "sharia_nisbah_changes",
                  "sharia_mudharabah_shares", "sharia_mudharabah_distributions",
                  "sharia_mudharabah_days", "sharia_mudharabah_accounts",
                  "sharia_mudharabah_pools", "sharia_collectibility_classes", "sharia_tazir"):
        op.drop_table(table)
    with op.batch_alter_table("sharia_murabahah") as batch:
        batch.drop_constraint("ck_sharia_murabahah_recognition_known", type_="check")
        for column in ("collectibility", "days_past_due", "next_due_on", "recognition"):
            batch.drop_column(column)
