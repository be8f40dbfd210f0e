"""Alembic environment of the tenant registry: its own revisions and its own version table
(``kopcore_registry_version``), apart from every cooperative's database and the kernel's
migrations.

Run when the registry is opened (:func:`kopcore._tenants.registry.upgrade_registry`), which
passes the connection.
"""

from __future__ import annotations

from alembic import context

from kopcore._tenants.registry import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the registry's migrations run when `kopcore tenants` opens it")
context.configure(connection=connection, target_metadata=metadata,
                  version_table=VERSION_TABLE, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
