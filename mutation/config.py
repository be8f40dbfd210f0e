"""The two checked-in lists: the modules measured (``targets.toml``) and the survivors explained
as equivalent (``equivalent.toml``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import attrs

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "targets.toml"
EQUIVALENT = HERE / "equivalent.toml"


@attrs.frozen
class Target:
    """A module measured: its tests, and optionally only some of its functions."""

    name: str
    path: str  # relative to the repository
    tests: tuple[str, ...]
    #: Qualified names (``allocate_payment``, ``Money.from_decimal``) whose mutants count; all
    #: of the module when empty.
    functions: tuple[str, ...] = ()
    #: How many of its mutants the quick run (CI) samples; 0: none.
    quick: int = 0
    #: The tests of the quick run; the module's tests when empty.
    quick_tests: tuple[str, ...] = ()
    #: The functions the quick run samples from (their tests are ``quick_tests``).
    quick_functions: tuple[str, ...] = ()
    #: Tests run again on PostgreSQL against each mutant that survives the SQLite run (code
    #: that only PostgreSQL runs); none when empty.
    postgresql_tests: tuple[str, ...] = ()

    def covers(self, scope: str, *, quick: bool = False) -> bool:
        names = self.quick_functions if quick and self.quick_functions else self.functions
        return not names or any(scope == name or scope.startswith(name + ".") for name in names)


@attrs.frozen
class Equivalent:
    """A surviving mutant explained: it cannot change what the module does."""

    file: str
    line: int
    code: str  # the source line, stripped: the match survives lines moving above it
    mutant: str
    why: str


def load_targets(path: Path = TARGETS) -> list[Target]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Target(name=m["name"], path=m["path"], tests=tuple(m["tests"]),
                   functions=tuple(m.get("functions", ())), quick=int(m.get("quick", 0)),
                   quick_tests=tuple(m.get("quick_tests", ())),
                   quick_functions=tuple(m.get("quick_functions", ())),
                   postgresql_tests=tuple(m.get("postgresql_tests", ())))
            for m in data["module"]]


def load_equivalents(path: Path = EQUIVALENT) -> list[Equivalent]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Equivalent(file=e["file"], line=int(e["line"]), code=e["code"], mutant=e["mutant"],
                       why=e["why"])
            for e in data.get("equivalent", [])]
