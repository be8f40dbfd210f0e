"""The mutation runner's mutants (mutation/mutants.py) change what they say they change."""

from __future__ import annotations

import ast

from mutation.mutants import mutants, mutate

SOURCE = '''
def share(total, *, parts=3, exact=False):
    return total // parts
'''


def test_a_mutant_of_a_default_argument_changes_the_default() -> None:
    # Each default's mutant is counted, and the code it gives has the default changed (a
    # default counted but left alone would always "survive").
    found = [m.description.rsplit(": ", 1)[-1] for m in mutants(SOURCE)]
    assert found[:3] == ["3 → 4", "3 → 2", "False → True"]
    signatures = [ast.unparse(mutate(SOURCE, number).body[0].args)  # type: ignore[attr-defined]
                  for number in range(3)]
    assert signatures == ["total, *, parts=4, exact=False", "total, *, parts=2, exact=False",
                          "total, *, parts=3, exact=True"]
