"""The mutants ``python -m mutation`` runs are the ones it numbers: a mutant of a parameter's
default value changes the function's signature (it used to be numbered and never applied, so it
could only survive)."""

from __future__ import annotations

from collections.abc import Callable

from mutation.mutants import mutants, mutate

SOURCE = '''
def settle(amount, *, first=False, unit=100):
    return amount, first, unit
'''


def mutated(ending: str) -> Callable[..., object]:
    """``settle`` with the mutant whose description ends with ``ending``."""
    [number] = [m.number for m in mutants(SOURCE) if m.description.endswith(ending)]
    space: dict[str, Callable[..., object]] = {}
    exec(compile(mutate(SOURCE, number), "<mutant>", "exec"), space)
    return space["settle"]


def test_a_default_values_mutants_are_applied() -> None:
    assert len(mutants(SOURCE)) == 4  # False → True, 100 → 101, 100 → 99, return → pass
    assert mutated(": False → True")(5) == (5, True, 100)
    assert mutated(": 100 → 101")(5) == (5, False, 101)
    assert mutated(": 100 → 99")(5) == (5, False, 99)
    assert mutated("→ pass")(5) is None
