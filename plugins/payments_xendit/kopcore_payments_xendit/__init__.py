"""kopcore-payments-xendit: the Xendit gateway for kopcore-payments.

Fixed Virtual Accounts (``/callback_virtual_accounts``), QR Codes API version 2022-07-31
(``/qr_codes`` with ``api-version: 2022-07-31``), their callbacks verified by the
``x-callback-token`` header, and the Transactions API as the report polled and reconciled.
Settings: ``KOPCORE_PAYMENTS_XENDIT_SECRET_KEY``, ``..._CALLBACK_TOKEN``, ``..._URL`` and
``..._TIMEOUT``. See README.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from kopcore_payments.gateways import GatewaySpec

import kopcore
from kopcore_payments_xendit.adapter import factory

__version__ = "0.1.0"
#: The kernel contract this plugin is written for (see kopcore.contract).
KOPCORE_CONTRACT = "1.0"


@kopcore.hookimpl
def kopcore_payments_gateways() -> Sequence[GatewaySpec]:
    return [GatewaySpec("xendit", factory, "Xendit fixed VA and QRIS (QR Codes API "
                        "2022-07-31); settings KOPCORE_PAYMENTS_XENDIT_*")]
