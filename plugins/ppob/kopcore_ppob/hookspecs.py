"""The PPOB plugin's own hook: payment providers (aggregators) are plugins too.

kopcore-ppob adds this specification to the kernel's plugin manager through
``kopcore_add_hookspecs``, so any installed plugin — the built-in sandbox and Digiflazz adapters,
or a separate ``kopcore-ppob-<aggregator>`` distribution — can offer providers::

    import kopcore
    from kopcore_ppob.providers import ProviderSpec

    @kopcore.hookimpl
    def kopcore_ppob_providers():
        return [ProviderSpec("tripay", make_tripay, "Tripay PPOB API")]

See README.md, "Writing a provider".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from kopcore_ppob.providers import ProviderSpec

hookspec = pluggy.HookspecMarker("kopcore")


@hookspec
def kopcore_ppob_providers() -> Sequence[ProviderSpec]:  # type: ignore[empty-body]
    """Return the PPOB providers (aggregators) this plugin offers.

    Called whenever kopcore-ppob needs a provider by name (``ppob provider-set``, every pay,
    status check, callback and sync). Each :class:`~kopcore_ppob.providers.ProviderSpec` names
    the provider and gives a factory building it from its
    :class:`~kopcore_ppob.providers.ProviderConfig`. Two plugins offering the same name is an
    error naming both. Keep it cheap: build no clients and read no secrets here.
    """
