"""Pagination fields shared by list operations: ``after`` (a cursor) and ``limit``.

A page answers ``next_after``; pass it as ``after`` for the next page, until it is null.
"""

from __future__ import annotations

from typing import Any

PAGE_LIMIT = 500

page_fields: dict[str, dict[str, Any]] = {
    "after": {"help": "Cursor: the next_after of the previous page (0 for the first)",
              "minimum": 0, "maximum": 2**62},
    "limit": {"help": f"Items per page, 1 to {PAGE_LIMIT}", "minimum": 1, "maximum": PAGE_LIMIT},
}
