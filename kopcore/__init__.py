"""kopcore: a plugin-based core banking kernel for Indonesian cooperatives.

The public API for plugins and embedding applications::

    import kopcore
    from kopcore import ledger
    from kopcore.money import Money

    @kopcore.hookimpl
    def kopcore_gl_accounts(): ...

What a plugin may import is listed here, once: :data:`PUBLIC_MODULES` for its code,
:data:`TESTING_MODULES` as well for its tests. Every other kopcore module is the kernel's own
and may change in any release; tests/test_public_boundary.py holds every plugin to the lists.
"""

import pluggy

__version__ = "1.4.0"

#: Marker for hook implementations in plugins: ``@kopcore.hookimpl``.
hookimpl = pluggy.HookimplMarker("kopcore")

#: The modules a plugin's code may import; nothing else of kopcore.
PUBLIC_MODULES: tuple[str, ...] = (
    "kopcore",             # hookimpl, __version__
    "kopcore.context",     # Context: what handlers, hooks and tasks receive
    "kopcore.contract",    # the kernel contract's version (KOPCORE_CONTRACT)
    "kopcore.errors",      # the refusals handlers raise
    "kopcore.events",      # emit: facts for members, delivered after commit
    "kopcore.ledger",      # members, accounts, posting, reports
    "kopcore.money",       # Money, exact amounts
    "kopcore.operations",  # Operation: one declaration, a route and a command
    "kopcore.providers",   # providers of a product plugin: by name, settings, calling
    "kopcore.query",       # read-only views of the kernel's tables (kernel tables contract)
    "kopcore.records",     # what hooks return
    "kopcore.views",       # output classes shared with the kernel's operations
)

#: The modules a plugin's tests may import besides :data:`PUBLIC_MODULES`: they build and
#: drive a kernel the way a deployment does.
TESTING_MODULES: tuple[str, ...] = (
    "kopcore.cli",             # make_cli
    "kopcore.eod",             # run_end_of_day
    "kopcore.interfaces.api",  # make_app
    "kopcore.kernel",          # Kernel
    "kopcore.settings",        # Settings
    "kopcore.testing",         # the pytest plugin: fixtures, Cooperative
)

__all__ = ["PUBLIC_MODULES", "TESTING_MODULES", "__version__", "hookimpl"]
