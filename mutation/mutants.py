"""The mutants of one module: small, deliberate bugs made on its syntax tree.

Each mutant changes one thing, the kind of mistake that gets a rupiah wrong:

- a comparison loses or gains its boundary (``<`` ↔ ``<=``, ``>`` ↔ ``>=``) or is negated
  (``==`` ↔ ``!=``, ``is`` ↔ ``is not``, ``in`` ↔ ``not in``);
- an integer constant is one more or one less; ``True`` ↔ ``False``;
- a rounding mode is swapped (``Rounding.HALF_UP`` → ``HALF_EVEN`` / ``DOWN``, the ``decimal``
  ``ROUND_*`` names likewise, ``math.floor`` ↔ ``math.ceil``, ``math.trunc`` → ``math.floor``);
- ``min`` ↔ ``max`` (also SQL's ``func.min``), ``and`` ↔ ``or`` (also SQL's ``and_``/``or_``),
  ``not x`` → ``x``, ``-x`` → ``x``;
- an arithmetic operator is swapped (``+`` ↔ ``-``, ``*`` ↔ ``//``, ``/`` → ``*``,
  ``%`` → ``//``, ``**`` → ``*``), also in augmented assignments;
- a statement in a function body is deleted (an assignment, a call, a ``raise`` or a
  ``return``), replaced by ``pass``.

Docstrings, annotations and f-strings (messages) are left alone. Mutants are numbered in the
order of a walk of the tree, so the same source gives the same numbers: :func:`mutate` rebuilds
mutant ``n`` from the source alone, in the process that runs the tests.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Sequence

import attrs

COMPARISONS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.In: ast.NotIn, ast.NotIn: ast.In,
}
OPERATORS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
}
#: Names and attribute names swapped for each other: rounding modes, min/max, SQL and/or.
SWAPS: dict[str, tuple[str, ...]] = {
    "HALF_UP": ("HALF_EVEN", "DOWN"),
    "HALF_EVEN": ("HALF_UP", "DOWN"),
    "DOWN": ("HALF_UP", "HALF_EVEN"),
    "ROUND_HALF_UP": ("ROUND_HALF_EVEN", "ROUND_DOWN"),
    "ROUND_HALF_EVEN": ("ROUND_HALF_UP", "ROUND_DOWN"),
    "ROUND_DOWN": ("ROUND_HALF_UP", "ROUND_HALF_EVEN"),
    "floor": ("ceil",),
    "ceil": ("floor",),
    "trunc": ("floor",),
    "min": ("max",),
    "max": ("min",),
    "and_": ("or_",),
    "or_": ("and_",),
}
#: Swapped only where they are called (``min(...)``, ``math.floor(...)``, ``sa.and_(...)``) or,
#: for the rounding modes, read from ``Rounding`` or as ``decimal``'s module constants.
CALLED_ONLY = {"floor", "ceil", "trunc", "min", "max", "and_", "or_"}
DELETABLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Return)


@attrs.frozen
class Mutant:
    """One mutant of a module: its number, where it is and what it changes."""

    number: int
    line: int
    scope: str  # qualified name of the enclosing function or class ("" at module level)
    function_line: int  # first line of the enclosing function's code (0 at module level)
    description: str  # "original → mutated", in source form


def _short(node: ast.AST, limit: int = 90) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Walker(ast.NodeTransformer):
    """Numbers every mutation site in walk order; applies the one numbered ``target``."""

    def __init__(self, target: int | None) -> None:
        self.target = target
        self.found: list[Mutant] = []
        self.scopes: list[tuple[str, int]] = []
        self.applied = False
        self.path: list[ast.AST] = []

    def visit(self, node: ast.AST) -> ast.AST:
        self.path.append(node)
        try:
            return super().visit(node)  # type: ignore[no-any-return]
        finally:
            self.path.pop()

    def _expr(self, node: ast.expr) -> ast.expr:
        result = self.visit(node)
        assert isinstance(result, ast.expr)
        return result

    def _context(self) -> str:
        """The expression around a leaf (a constant): ``0`` alone would not say which one."""
        leaf, parent = self.path[-1], self.path[-2]
        if isinstance(parent, ast.Dict) and leaf in parent.values:
            key = parent.keys[parent.values.index(leaf)]
            return "" if key is None else _short(key, 40) + ": "
        for node in reversed(self.path[:-1]):
            if isinstance(node, ast.expr | ast.stmt) and not isinstance(node, ast.UnaryOp):
                return _short(node, 60) + ": "
        return ""

    # --- bookkeeping ----------------------------------------------------------------------
    def _offer(self, node: ast.AST, options: Sequence[Callable[[], ast.AST]], sign: str = ""
               ) -> ast.AST | None:
        """Register one mutant per option; return the mutated node if one is the target."""
        chosen = None
        for build in options:
            number = len(self.found)
            mutated = build()
            scope = ".".join(name for name, _ in self.scopes)
            first = self.scopes[-1][1] if self.scopes else 0
            for _, line in reversed(self.scopes):  # the innermost *function*, not a class
                if line:
                    first = line
                    break
            context = self._context() if isinstance(node, ast.Constant) else ""
            self.found.append(Mutant(number, getattr(node, "lineno", 0), scope, first,
                                     f"{context}{sign}{_short(node)} → {sign}{_short(mutated)}"))
            if number == self.target:
                chosen = ast.copy_location(mutated, node)
                self.applied = True
        return chosen

    def _visit_children_then(self, node: ast.AST, chosen: ast.AST | None) -> ast.AST:
        self.generic_visit(node)
        return chosen if chosen is not None else node

    # --- scopes and what is never mutated -------------------------------------------------
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        self.scopes.append((node.name, first))
        # A default's mutant is written back into the signature (visiting alone would number
        # it, yet run the function unchanged: a mutant that could only survive).
        node.args.defaults = [self._expr(default) for default in node.args.defaults]
        node.args.kw_defaults = [None if default is None else self._expr(default)
                                 for default in node.args.kw_defaults]
        node.body = self._body(node.body)
        self.scopes.pop()
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.scopes.append((node.name, 0))
        node.body = self._body(node.body)
        self.scopes.pop()
        return node

    def _body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        start = 1 if body and _is_docstring(body[0]) else 0
        out = body[:start]
        for statement in body[start:]:
            result = self.visit(statement)
            if isinstance(result, ast.stmt):
                out.append(result)
        return out or [ast.Pass()]

    def visit_Module(self, node: ast.Module) -> ast.AST:
        node.body = self._body(node.body)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        chosen = self._deletion(node)
        if node.value is not None:
            node.value = self._expr(node.value)
        return chosen or node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return node

    def visit_Import(self, node: ast.Import) -> ast.AST:
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        return node

    # --- statements -----------------------------------------------------------------------
    def _deletion(self, node: ast.stmt) -> ast.AST | None:
        in_function = any(line for _, line in self.scopes)
        if not in_function or not isinstance(node, DELETABLE):
            return None
        if isinstance(node, ast.AnnAssign) and node.value is None:
            return None
        return self._offer(node, [ast.Pass])

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        return self._visit_children_then(node, self._deletion(node))

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        return self._visit_children_then(node, self._deletion(node))

    def visit_Raise(self, node: ast.Raise) -> ast.AST:
        return self._visit_children_then(node, self._deletion(node))

    def visit_Return(self, node: ast.Return) -> ast.AST:
        return self._visit_children_then(node, self._deletion(node))

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        chosen = self._deletion(node)
        swapped = OPERATORS.get(type(node.op))
        if swapped is not None:
            chosen = self._offer(node, [lambda: ast.AugAssign(
                copy.deepcopy(node.target), swapped(), copy.deepcopy(node.value))]) or chosen
        return self._visit_children_then(node, chosen)

    # --- expressions ----------------------------------------------------------------------
    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        options = []
        for index, op in enumerate(node.ops):
            swapped = COMPARISONS.get(type(op))
            if swapped is None:
                continue

            def build(index: int = index, swapped: type[ast.cmpop] = swapped) -> ast.AST:
                ops = list(node.ops)
                ops[index] = swapped()
                return ast.Compare(copy.deepcopy(node.left), ops, copy.deepcopy(node.comparators))

            options.append(build)
        return self._visit_children_then(node, self._offer(node, options))

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        swapped = OPERATORS.get(type(node.op))
        options = [] if swapped is None else [lambda: ast.BinOp(
            copy.deepcopy(node.left), swapped(), copy.deepcopy(node.right))]
        return self._visit_children_then(node, self._offer(node, options))

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        chosen = self._offer(node, [lambda: ast.BoolOp(other(), copy.deepcopy(node.values))])
        return self._visit_children_then(node, chosen)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        options = []
        if isinstance(node.op, ast.Not | ast.USub):
            options.append(lambda: copy.deepcopy(node.operand))
        return self._visit_children_then(node, self._offer(node, options))

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, bool):
            options = [lambda: ast.Constant(not value)]
        elif isinstance(value, int):
            options = [lambda: ast.Constant(value + 1), lambda: ast.Constant(value - 1)]
        else:
            options = []
        parent = self.path[-2]
        # -18 is minus applied to 18: say "-18 → -19", not "18 → 19".
        sign = "-" if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub) else ""
        return self._offer(node, options, sign) or node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        options = []
        if name in CALLED_ONLY:
            for other in SWAPS[name]:
                def build(other: str = other) -> ast.AST:
                    call = copy.deepcopy(node)
                    if isinstance(call.func, ast.Name):
                        call.func.id = other
                    elif isinstance(call.func, ast.Attribute):
                        call.func.attr = other
                    return call

                options.append(build)
        chosen = self._offer(node, options)
        # The arguments are mutated; the callee's name is not visited again as a rounding mode.
        node.args = [self._expr(arg) for arg in node.args]
        for keyword in node.keywords:
            keyword.value = self._expr(keyword.value)
        if not isinstance(func, ast.Name):
            node.func = self._expr(func)
        return chosen or node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        options = []
        owner = node.value
        if (node.attr in SWAPS and node.attr not in CALLED_ONLY
                and isinstance(owner, ast.Name) and owner.id == "Rounding"):
            for other in SWAPS[node.attr]:
                options.append(lambda other=other: ast.Attribute(
                    copy.deepcopy(owner), other, ast.Load()))
        return self._visit_children_then(node, self._offer(node, options))

    def visit_Name(self, node: ast.Name) -> ast.AST:
        options = []
        if node.id.startswith("ROUND_") and node.id in SWAPS:
            options = [lambda other=other: ast.Name(other, ast.Load())
                       for other in SWAPS[node.id]]
        return self._offer(node, options) or node


def _is_docstring(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


def mutants(source: str) -> list[Mutant]:
    """Every mutant of ``source``, numbered in walk order."""
    walker = _Walker(None)
    tree = ast.parse(source)
    walker.visit(tree)
    return walker.found


def mutate(source: str, number: int) -> ast.Module:
    """The module ``source`` with mutant ``number`` applied, ready to compile."""
    walker = _Walker(number)
    tree = ast.parse(source)
    walker.visit(tree)
    if not walker.applied:
        raise LookupError(f"no mutant number {number}")
    return ast.fix_missing_locations(tree)
