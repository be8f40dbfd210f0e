"""Storage: engine, transaction runner, tables and migrations."""

from kopcore._db.database import Database, make_engine

__all__ = ["Database", "make_engine"]
