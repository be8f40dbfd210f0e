"""collateral: liquidation value, binding, documents, release; guarantors released

Revision ID: loans0002
Revises: loans0001
Create Date: 2026-12-07

A collateral (agunan) gets its liquidation value, its binding (fidusia, hak tanggungan, gadai)
and the binding's number, its owner, the documents held, the appraisal date and its status
(held, released on payoff or by decision, returned), for the KSP collectibility and the
allowance. A guarantee ends (``released_on``) when the loan is paid off.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loans0002"
down_revision: str | None = "loans0001"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("liquidation_value", sa.BigInteger(), None),
    ("binding", sa.String(16), "none"),
    ("binding_ref", sa.String(100), None),
    ("owner", sa.String(200), None),
    ("documents", sa.String(500), None),
    ("appraised_on", sa.Date(), None),
    ("status", sa.String(16), "held"),
    ("released_on", sa.Date(), None),
    ("released_by", sa.String(64), None),
    ("release_note", sa.String(200), None),
    ("returned_on", sa.Date(), None),
    ("returned_to", sa.String(200), None),
)


def upgrade() -> None:
    with op.batch_alter_table("loans_collateral") as batch:
        for name, type_, default in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=default is None,
                                       server_default=default))
        batch.create_check_constraint(
            "ck_loans_collateral_binding_known",
            "binding IN ('fidusia','hak_tanggungan','gadai','none')")
        batch.create_check_constraint(
            "ck_loans_collateral_status_known", "status IN ('held','released','returned')")
    with op.batch_alter_table("loans_guarantors") as batch:
        batch.add_column(sa.Column("released_on", sa.Date(), nullable=True))
    # Collateral of loans already paid off is released as of the day they closed.
    op.execute("UPDATE loans_collateral SET status = 'released', release_note = 'lunas', "
               "released_on = (SELECT closed_on FROM loans_loans l WHERE l.id = "
               "loans_collateral.loan_id) WHERE loan_id IN (SELECT id FROM loans_loans "
               "WHERE status = 'closed')")
    op.execute("UPDATE loans_guarantors SET released_on = (SELECT closed_on FROM loans_loans l "
               "WHERE l.id = loans_guarantors.loan_id) WHERE loan_id IN (SELECT id FROM "
               "loans_loans WHERE status = 'closed')")


def downgrade() -> None:
    with op.batch_alter_table("loans_guarantors") as batch:
        batch.drop_column("released_on")
    with op.batch_alter_table("loans_collateral") as batch:
        batch.drop_constraint("ck_loans_collateral_status_known", type_="check")
        batch.drop_constraint("ck_loans_collateral_binding_known", type_="check")
        for name, _type, _default in reversed(COLUMNS):
            batch.drop_column(name)
