"""``ppob doctor``: the go-live checklist (README.md) checked against the configured providers.

For each provider in use (the chosen one and every one a route names), each item is a
:class:`Check`: its settings are complete; its deposit is readable, which proves the request
signature is accepted and this server's address is whitelisted (Digiflazz answers rc 41 and 45
otherwise); the provider's own go-live items (a provider may offer ``go_live_checks()``:
Digiflazz's ``testing`` mode off and its webhook secret set); its products are in the catalogue;
the deposit kopcore expects is known (a top-up recorded) and agrees with the provider's, for
the first day's reconciliation; nothing is pending past its settlement time or waiting for an
operator. Once for all: the callback URL registered at the providers
(``KOPCORE_PPOB_CALLBACK_URL``) reaches this server's callback route, which refuses an unsigned
probe (401), as it must.

The provider and the callback URL are asked over the network with no write transaction open;
nothing is written but the probe's own refusal in the callback log (as ``bad-signature``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import attrs
import httpx
import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import KopcoreError
from kopcore.money import Money
from kopcore_ppob import catalogue, deposits, flow, tables
from kopcore_ppob.providers import make_provider, registry

CALLBACK_URL_VARIABLE = "KOPCORE_PPOB_CALLBACK_URL"


@attrs.frozen
class Check:
    provider: str
    item: str
    ok: bool
    detail: str


def _money(ctx: Context, minor: int) -> str:
    return Money(minor, ctx.settings.currency).format()


def check_provider(ctx: Context, name: str) -> list[Check]:
    """Every checklist item for one provider."""
    checks: list[Check] = []

    def add(item: str, ok: bool, detail: str) -> None:
        checks.append(Check(name, item, ok, detail))

    try:
        provider = make_provider(ctx, name)
    except KopcoreError as exc:
        add("credentials", False, exc.detail)
        return checks
    add("credentials", True, "settings complete")
    balance: int | None = None
    try:
        balance = provider.balance()
    except KopcoreError as exc:
        refused = exc.detail
        add("deposit-readable", False, refused)
        add("signature-accepted", "rc 41" not in refused and "204" not in refused, refused)
        add("ip-whitelisted", "rc 45" not in refused, refused)
    except Exception as exc:  # a network error: the provider is out of reach
        add("deposit-readable", False, f"no answer: {type(exc).__name__}")
    else:
        add("deposit-readable", True, f"deposit {_money(ctx, balance * catalogue.scale(ctx))}")
        add("signature-accepted", True, "the signed balance request was accepted")
        add("ip-whitelisted", True, "this server's address was accepted")
    for item, ok, detail in getattr(provider, "go_live_checks", lambda: ())():
        add(item, ok, detail)
    p = tables.products.c
    available = ctx.conn.execute(sa.select(sa.func.count()).where(
        p.provider == name, p.available.is_(True))).scalar_one()
    add("catalogue-synced", available > 0,
        f"{available} product(s) available" if available else "run 'kopcore ppob sync'")
    if deposits.recorded(ctx, name):
        expected = deposits.expected(ctx, name)
        reported = (balance * catalogue.scale(ctx) if balance is not None
                    else deposits.reported(ctx, name))
        agree = reported is not None and reported == expected
        add("deposit-reconciled", agree,
            f"books expect {_money(ctx, expected)}, the provider reports "
            + (_money(ctx, reported) if reported is not None else "nothing yet"))
    else:
        add("deposit-reconciled", False,
            "record the deposit paid to the provider with 'kopcore ppob topup' so the first "
            "day can be reconciled")
    c = tables.transactions.c
    waiting = ctx.conn.execute(sa.select(sa.func.count()).where(
        c.provider == name, c.status == flow.PENDING,
        sa.or_(c.attention.is_not(None), c.anomaly.is_not(None)))).scalar_one()
    add("nothing-waiting", waiting == 0,
        f"{waiting} pending transaction(s) wait for an operator" if waiting else "none")
    return checks


def check_callback(url: str | None) -> Check:
    """The callback URL reaches a kopcore callback route that verifies signatures."""
    if not url:
        return Check("", "callback-reachable", False,
                     f"set {CALLBACK_URL_VARIABLE} to the URL registered at the providers")
    try:
        answer = httpx.post(url, content=b'{"data": {"probe": "ppob doctor"}}', timeout=10,
                            headers={"Content-Type": "application/json",
                                     "X-Hub-Signature": "sha1=probe"})
    except httpx.HTTPError as exc:
        return Check("", "callback-reachable", False, f"{url}: {type(exc).__name__}")
    try:
        code = answer.json().get("code")
    except ValueError:
        code = None
    ok = answer.status_code == 401 and code == "ppob-bad-signature"
    return Check("", "callback-reachable", ok,
                 f"{url} refused an unsigned probe, as it must" if ok
                 else f"{url} answered HTTP {answer.status_code}, not kopcore's 401")


def doctor(ctx: Context, provider: str | None,
           environ: Mapping[str, str] | None = None) -> Sequence[Check]:
    """The checklist for ``provider`` (default: every provider in use) and the callback URL."""
    names = [provider] if provider else catalogue.enabled_providers(ctx)
    known = registry(ctx)
    checks: list[Check] = []
    for name in names:
        if name not in known:
            checks.append(Check(name, "installed", False,
                                f"no PPOB provider named {name!r}; known: {sorted(known)}"))
            continue
        if not known[name].networked:
            checks.append(Check(name, "networked", False,
                                "an offline provider: it sells nothing real"))
            continue
        checks += check_provider(ctx, name)
    env = os.environ if environ is None else environ
    checks.append(check_callback(env.get(CALLBACK_URL_VARIABLE)))
    return checks
