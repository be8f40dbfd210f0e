"""Fixtures for kopcore-notify's tests: the providers' stand-ins on loopback
(:mod:`kopcore_notify.testing`) and a cooperative whose environment points the channels at
them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kopcore_notify.testing import InfobipDouble, SmtpDouble, WhatsAppDouble

from kopcore import ledger
from kopcore.context import Context
from kopcore.kernel import Kernel
from kopcore.testing import add_user


@pytest.fixture
def whatsapp() -> Iterator[WhatsAppDouble]:
    server = WhatsAppDouble().start()
    yield server
    server.stop()


@pytest.fixture
def infobip() -> Iterator[InfobipDouble]:
    server = InfobipDouble().start()
    yield server
    server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpDouble]:
    server = SmtpDouble().start()
    yield server
    server.stop()


@pytest.fixture
def environment(whatsapp: WhatsAppDouble, infobip: InfobipDouble, smtp: SmtpDouble
                ) -> dict[str, str]:
    return {
        "KOPCORE_NOTIFY_WHATSAPP_URL": whatsapp.url,
        "KOPCORE_NOTIFY_WHATSAPP_TOKEN": whatsapp.token,
        "KOPCORE_NOTIFY_WHATSAPP_PHONE_NUMBER_ID": whatsapp.phone_number_id,
        "KOPCORE_NOTIFY_WHATSAPP_TIMEOUT": "5",
        "KOPCORE_NOTIFY_INFOBIP_URL": infobip.url,
        "KOPCORE_NOTIFY_INFOBIP_API_KEY": infobip.api_key,
        "KOPCORE_NOTIFY_INFOBIP_SENDER": "KSPMAJU",
        "KOPCORE_NOTIFY_SMTP_HOST": "127.0.0.1",
        "KOPCORE_NOTIFY_SMTP_PORT": str(smtp.port),
        "KOPCORE_NOTIFY_SMTP_STARTTLS": "no",
        "KOPCORE_NOTIFY_SMTP_FROM": "koperasi@example.org",
    }


@pytest.fixture
def coop(make_kernel: Callable[..., Kernel], environment: dict[str, str]
         ) -> Callable[..., Kernel]:
    """A cooperative with this plugin (and ``extra`` plugins), member A1 with a phone and an
    e-mail address, a manager ``manajer`` and a teller ``kasir``."""

    def build(channel: str = "notify.whatsapp", **overrides: Any) -> Kernel:
        kernel = make_kernel(plugins=("notify",), notification_channel=channel,
                             environment=environment, cooperative_name="KSP Maju",
                             **overrides)

        def members(ctx: Context) -> None:
            ledger.register_member(ctx, name="Sari", nik="3201011505900001",
                                   phone="0812-3456-7890", email="sari@example.org",
                                   member_number="A1")
            ledger.activate_member(ctx, "A1")
            add_user(ctx, "manajer", "manager")
        kernel.write("test", members)
        return kernel
    return build
