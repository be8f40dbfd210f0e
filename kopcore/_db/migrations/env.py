"""Alembic environment for kopcore: the kernel branch plus one branch per enabled plugin.

Run through ``kopcore db upgrade`` (kopcore._db.migrate), which passes the connection and the
version locations of every enabled plugin.
"""

from __future__ import annotations

from alembic import context

from kopcore._db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `kopcore db upgrade`")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
