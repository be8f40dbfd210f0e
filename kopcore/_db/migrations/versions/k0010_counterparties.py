"""members and counterparties that are legal entities; non-member counterparties

Revision ID: k0010_counterparties
Revises: k0009_apps
Create Date: 2026-12-07

A member (or a counterparty) is a person with a NIK, or a legal entity (badan hukum: a koperasi,
a PT, a CV...) with a NIB (13 digits) and an NPWP (16 digits), its deed of establishment, the
decree that made it a legal entity (SK pengesahan badan hukum) and the representative who acts
for it (name, NIK, position). ``kind`` says which; the NIK is required of persons only, and each
of NIK, NIB and NPWP stays unique. ``membership`` tells a member (``member``) from a partner
served by agreement who is not one (``non-member``, Permenkop 8/2023): it may hold accounts and
loans, but has no SHU share, no vote and no simpanan wajib. Rows already there are persons and
members.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0010_counterparties"
down_revision: str | None = "k0009_apps"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

KINDS = "kind IN ('person','koperasi','pt','cv','firma','yayasan','perkumpulan','other')"
IDENTITY = ("(kind = 'person' AND nik IS NOT NULL AND nib IS NULL AND npwp IS NULL) OR "
            "(kind <> 'person' AND nik IS NULL AND nib IS NOT NULL AND npwp IS NOT NULL)")


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.alter_column("nik", existing_type=sa.String(length=16), nullable=True)
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False,
                                   server_default="person"))
        batch.add_column(sa.Column("membership", sa.String(length=16), nullable=False,
                                   server_default="member"))
        batch.add_column(sa.Column("nib", sa.String(length=13), nullable=True))
        batch.add_column(sa.Column("npwp", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("deed_number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("deed_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("legal_decree_number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("legal_decree_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("representative_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("representative_nik", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("representative_position", sa.String(length=100),
                                   nullable=True))
        batch.create_unique_constraint(op.f("uq_members_nib"), ["nib"])
        batch.create_unique_constraint(op.f("uq_members_npwp"), ["npwp"])
        batch.create_check_constraint(op.f("ck_members_kind_known"), sa.text(KINDS))
        batch.create_check_constraint(op.f("ck_members_membership_known"),
                                      sa.text("membership IN ('member','non-member')"))
        batch.create_check_constraint(op.f("ck_members_identity_by_kind"), sa.text(IDENTITY))


def downgrade() -> None:
    """Back to persons only: refused while a legal entity is registered (its NIK is empty)."""
    with op.batch_alter_table("members") as batch:
        batch.drop_constraint(op.f("ck_members_identity_by_kind"), type_="check")
        batch.drop_constraint(op.f("ck_members_membership_known"), type_="check")
        batch.drop_constraint(op.f("ck_members_kind_known"), type_="check")
        batch.drop_constraint(op.f("uq_members_npwp"), type_="unique")
        batch.drop_constraint(op.f("uq_members_nib"), type_="unique")
        for column in ("representative_position", "representative_nik", "representative_name",
                       "legal_decree_date", "legal_decree_number", "deed_date", "deed_number",
                       "npwp", "nib", "membership", "kind"):
            batch.drop_column(column)
        batch.alter_column("nik", existing_type=sa.String(length=16), nullable=False)
