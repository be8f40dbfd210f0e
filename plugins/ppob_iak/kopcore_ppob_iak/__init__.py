"""kopcore-ppob-iak: IAK (Indobest Artha Kreasi, formerly Mobilepulsa) as a PPOB provider.

A provider plugin of kopcore-ppob: it offers the provider ``iak`` through kopcore-ppob's own hook
``kopcore_ppob_providers`` and touches nothing else of kopcore-ppob. Found through its entry
point::

    [project.entry-points.kopcore]
    ppob_iak = "kopcore_ppob_iak"

Enable it next to ``ppob``; choose it with ``kopcore ppob provider-set --name iak`` or route
categories or product groups to it with ``kopcore ppob route-set``. Settings in the environment:
``KOPCORE_PPOB_IAK_USERNAME``, ``..._API_KEY``, optionally ``..._URL`` and ``..._TIMEOUT``. See
README.md.

Plugins import the kernel's public API only and never each other, with one documented exception:
a provider plugin of a product plugin imports that product plugin's provider contract
(:mod:`kopcore_ppob.providers`, the records it returns, and :mod:`kopcore_ppob.errors`, the
errors it raises), as it
implements that plugin's hook.
"""

from __future__ import annotations

from collections.abc import Sequence

from kopcore_ppob.providers import ProviderSpec

import kopcore
from kopcore_ppob_iak import adapter

__version__ = "0.1.0"

#: The version of the kernel's plugin contract this plugin is written against.
KOPCORE_CONTRACT = "1.0"


@kopcore.hookimpl
def kopcore_ppob_providers() -> Sequence[ProviderSpec]:
    return [ProviderSpec("iak", adapter.factory,
                         "IAK prepaid API v2 (md5-signed; callbacks confirmed by a status "
                         "check); settings KOPCORE_PPOB_IAK_*",
                         # "Estimated processing time ... approximately 1 to 30 seconds".
                         settlement_minutes=1)]
