"""Human-readable tables for CLI output (``--json`` prints the API's JSON instead)."""

from __future__ import annotations

from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        whole, _, frac = str(value["amount"]).partition(".")
        sign = "-" if whole.startswith("-") else ""
        grouped = f"{int(whole.lstrip('-')):,}".replace(",", ".")
        return f"{sign}{grouped}{',' + frac if frac else ''} {value['currency']}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_cell(item) for item in value) if value else "-"
    return str(value)


def table(rows: list[dict[str, Any]]) -> str:
    """Rows of dicts as an aligned text table; a list in a cell shows its items."""
    if not rows:
        return "(none)"
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([line.rstrip(), *(b.rstrip() for b in body)])


def render(payload: Any) -> str:
    """A payload as text: scalars as ``key: value`` lines, lists of objects as tables."""
    if not isinstance(payload, dict):
        return _cell(payload)
    lines: list[str] = []
    sections: list[str] = []
    for key, value in payload.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) \
                and not all(set(v) == {"amount", "currency"} for v in value):
            sections.append(f"\n{key}:\n{table(value)}")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{key}: " + "; ".join(_cell(v) for v in value))
        elif isinstance(value, dict) and set(value) != {"amount", "currency"} and any(
                isinstance(v, list | dict) for v in value.values()):
            sections.append(f"\n{key}:\n" + "\n".join(
                "  " + line for line in render(value).splitlines()))
        else:
            lines.append(f"{key}: {_cell(value)}")
    return "\n".join(lines + sections)
