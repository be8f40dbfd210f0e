"""The cut-over's own table (created by the ``kopcore_cutover`` Alembic branch): one row per
file imported, by the digest of its content, so the same file imports once."""

from __future__ import annotations

import sqlalchemy as sa

from kopcore._db.tables import UTCDateTime

metadata = sa.MetaData()

imports = sa.Table(
    "cutover_imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    #: SHA-256 of the file's bytes.
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("imported_at", UTCDateTime(), nullable=False),
    #: The import's answer (JSON), given again when the same file is sent again.
    sa.Column("summary", sa.Text, nullable=False),
)
