"""kopcore: a plugin-based core banking kernel for Indonesian cooperatives.

The public API for plugins and embedding applications::

    import kopcore
    from kopcore import ledger
    from kopcore.money import Money

    @kopcore.hookimpl
    def kopcore_gl_accounts(): ...
"""

import pluggy

__version__ = "1.0.0"

#: Marker for hook implementations in plugins: ``@kopcore.hookimpl``.
hookimpl = pluggy.HookimplMarker("kopcore")

__all__ = ["__version__", "hookimpl"]
