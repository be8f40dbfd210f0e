"""The kernel contract: the version of the interface plugins are written against.

The contract is everything :data:`kopcore.PUBLIC_MODULES` exposes — the hooks of
:mod:`kopcore.hookspecs`, the records, the public ledger and query functions, the operation
mechanism, and the read-only kernel tables. Its version is ``MAJOR.MINOR``:

- a **minor** release only adds: a new hook, a new optional parameter or record field with a
  default, a new public function, a new column in a read-only table. A plugin written for
  ``1.2`` runs on every ``1.x`` kernel from ``1.2`` on.
- a **major** release may remove or change: a hook's signature or meaning, a record's fields,
  an operation's behaviour a plugin relies on. A plugin written for ``1.x`` does not load on
  ``2.x``.

A plugin declares the contract it was written for in its top-level module::

    KOPCORE_CONTRACT = "1.2"

and bounds its ``kopcore`` requirement the same way (``kopcore>=1.2,<2``). The kernel refuses,
at start-up and naming the plugin, one written for another major version or for a newer minor
one. docs/plugin-guide.md keeps the changelog of the contract.
"""

from __future__ import annotations

import re

from kopcore.errors import PluginError

#: The contract this kernel implements, as (major, minor).
CONTRACT_VERSION: tuple[int, int] = (1, 4)
CONTRACT = f"{CONTRACT_VERSION[0]}.{CONTRACT_VERSION[1]}"
#: The module attribute where a plugin declares the contract it was written for.
DECLARATION = "KOPCORE_CONTRACT"

_VERSION = re.compile(r"(\d+)\.(\d+)")


def parse(declared: object) -> tuple[int, int] | None:
    """``"1.0"`` as ``(1, 0)``; ``None`` for anything that is not ``MAJOR.MINOR``."""
    match = _VERSION.fullmatch(declared) if isinstance(declared, str) else None
    return (int(match[1]), int(match[2])) if match else None


def check(plugin: str, version: str, declared: object) -> None:
    """Refuse a plugin (``PluginError``) whose declared contract this kernel cannot honour."""
    wanted = parse(declared)
    if wanted is None:
        raise PluginError(
            f"plugin {plugin!r} ({version}) does not declare the kernel contract it was written "
            f"for: add {DECLARATION} = \"{CONTRACT}\" to its top-level module "
            f"(this kernel implements contract {CONTRACT})")
    major, minor = CONTRACT_VERSION
    if wanted[0] != major or wanted[1] > minor:
        raise PluginError(
            f"plugin {plugin!r} ({version}) was written for kernel contract "
            f"{wanted[0]}.{wanted[1]}, but this kernel implements contract {CONTRACT}: "
            + ("install a release of the plugin written for this contract"
               if wanted[0] < major else
               "upgrade kopcore or install an older release of the plugin"))
