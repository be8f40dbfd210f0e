"""Oversight: the health assessment, the statements for the RAT and the trend charts.

Registered as the built-in plugin ``kopcore.oversight`` (operations in
:mod:`kopcore.plugins.oversight_ops`), with its own Alembic branch ``kopcore_oversight`` for the
questionnaire answers. Everything is computed from the ledger's postings as of a date; figures
only a product plugin knows (loans outstanding by collectibility, PPAP) come through the
``kopcore_health_figures`` hook. See docs/oversight.md.
"""
