"""The messages the code marks for translation, and the catalogues that translate them.

Marked messages are found by walking each module's syntax tree: the first (literal) argument of
every call to ``message`` (kernel), ``gettext`` (kopcore._i18n) and ``_`` (a plugin's
:class:`~kopcore.errors.Messages`, by convention bound to ``_``). Error titles are class
attributes, so they are read from the error classes themselves.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import attrs
from babel.messages.pofile import read_po

import kopcore
from kopcore.errors import KopcoreError, Message

ROOT = Path(kopcore.__file__).parent.parent
KEYWORDS = frozenset({"message", "gettext", "_"})
#: The product plugins, by entry-point name: (package directory, catalogue domain).
PLUGINS = {
    "savings": (ROOT / "plugins/savings/kopcore_savings", "savings"),
    "loans": (ROOT / "plugins/loans/kopcore_loans", "loans"),
    "ppob": (ROOT / "plugins/ppob/kopcore_ppob", "ppob"),
    "ppob_iak": (ROOT / "plugins/ppob_iak/kopcore_ppob_iak", "ppob_iak"),
    "sharia": (ROOT / "plugins/sharia/kopcore_sharia", "sharia"),
    "payroll": (ROOT / "plugins/payroll/kopcore_payroll", "payroll"),
    "payments": (ROOT / "plugins/payments/kopcore_payments", "payments"),
    "payments_xendit": (ROOT / "plugins/payments_xendit/kopcore_payments_xendit",
                        "payments_xendit"),
    "notify": (ROOT / "plugins/notify/kopcore_notify", "notify"),
}
KERNEL = (ROOT / "kopcore", "kopcore")


@attrs.frozen
class Marked:
    msgid: str
    where: str


def marked(package: Path) -> Iterator[Marked]:
    """Every literal message marked in ``package``'s modules (tests left out)."""
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if "tests" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in KEYWORDS and node.args \
                    and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                yield Marked(node.args[0].value, f"{package.name}/{relative}:{node.lineno}")


def unmarked_refusals(package: Path, errors: set[str]) -> Iterator[str]:
    """``path:line`` of every construction of an error named in ``errors`` whose detail is
    written as text (a literal or an f-string) instead of a marked message."""
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if "tests" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in errors and node.args \
                    and isinstance(node.args[0], ast.JoinedStr | ast.Constant | ast.BinOp):
                yield f"{package.name}/{relative}:{node.lineno}"


def catalogues(package: Path, domain: str) -> dict[str, Path]:
    """locale -> ``.po`` file of ``package``'s catalogue ``domain``."""
    return {po.parent.parent.name: po
            for po in sorted((package / "locale").glob(f"*/LC_MESSAGES/{domain}.po"))}


def read(po: Path) -> dict[str, str]:
    """msgid -> msgstr of a catalogue, untranslated and fuzzy entries included (as '')."""
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    return {str(m.id): ("" if m.fuzzy else str(m.string)) for m in catalogue if m.id}


def error_classes(modules: tuple[str, ...] = ()) -> list[type[KopcoreError]]:
    """Every subclass of KopcoreError once ``modules`` are imported."""
    for name in modules:
        importlib.import_module(name)
    found: list[type[KopcoreError]] = []
    pending: list[type[KopcoreError]] = [KopcoreError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def title_of(cls: type[KopcoreError]) -> tuple[str, Message | None]:
    title = cls.__dict__.get("title", cls.title)
    return (title.msgid, title) if isinstance(title, Message) else (title, None)
