"""The mutants of ``python -m mutation`` change what they say they change."""

from __future__ import annotations

from typing import Any

from mutation.mutants import mutants, mutate

SOURCE = '''
def split(amount, parts=3, *, round_up=False):
    return amount // parts + (1 if round_up else 0)
'''


def _run(number: int) -> Any:
    space: dict[str, Any] = {}
    exec(compile(mutate(SOURCE, number), "<mutant>", "exec"), space)
    return space["split"](100)


def test_a_mutated_default_argument_is_the_default_the_function_gets() -> None:
    by_description = {m.description.rsplit(": ", 1)[-1]: m.number for m in mutants(SOURCE)
                      if m.description.startswith("def split")}
    # split(100) is 33; with 4 parts 25, with 2 parts 50, rounding up 34.
    assert _run(by_description["3 → 4"]) == 25
    assert _run(by_description["3 → 2"]) == 50
    assert _run(by_description["False → True"]) == 34
