"""The demo cooperative: ``kopcore demo`` seeds it and serves its API.

Kernel data: users for every role (with API keys), members, a teller cash drawer, the vault and a
bank account with opening capital, a few days of business. Then every enabled plugin adds its own
products and transactions through ``kopcore_demo_seed``. With ``months``, the demo then plays
through that many months of business from :data:`DEMO_START`: end of day runs every day (interest
accrues and is posted, installments fall due, the health and trend figures are recorded) and, on
the 7th of each month, every plugin's ``each_month`` posts a month of its members' activity,
so that reports and charts show a real history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from kopcore import _auth as auth
from kopcore import _logins as logins
from kopcore import ledger
from kopcore._installed import product_plugins
from kopcore.context import Context
from kopcore.eod import run_end_of_day
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import DemoSeed, PostingLine, Side
from kopcore.settings import Settings

DEMO_MEMBERS = (
    ("Ni Luh Putu Ayu", "5171014508900001", "081237001001"),
    ("I Made Wirawan", "5171011203850002", "081237001002"),
    ("Siti Aminah", "3201016107920003", "081237001003"),
    ("Budi Santoso", "3578010101800004", "081237001004"),
    ("Ketut Sudarma", "5104021706750005", "081237001005"),
)
DEMO_START = date(2026, 1, 5)
#: The history ``kopcore demo`` plays through by default: January to December.
DEMO_MONTHS = 11
#: The day of each month on which members come in (after the installments due on the 5th).
HISTORY_DAY = 7


def _reset_sqlite(database: str) -> None:
    url = make_url(database)
    if url.get_backend_name() == "sqlite" and url.database:
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)


def demo_password(username: str) -> str:
    """The demo users' web app password: known, printed, and only ever a demo's."""
    return f"{username}-demo"


def seed_kernel(ctx: Context) -> dict[str, str]:
    """Users (with a web app password each), members and internal accounts with opening
    capital; returns API keys."""
    keys: dict[str, str] = {}
    for username, role in (("admin", "admin"), ("manager", "manager"), ("teller", "teller"),
                           ("auditor", "auditor")):
        auth.create_user(ctx.conn, username, role)
        keys[username] = auth.issue_key(ctx.conn, username, "demo")[1]
        logins.set_password(ctx.conn, username, demo_password(username), temporary=False)
    for name, nik, phone in DEMO_MEMBERS:
        member = ledger.register_member(ctx, name=name, nik=nik, phone=phone)
        ledger.activate_member(ctx, member.member_number)
    first = ledger.list_members(ctx, limit=1)[0]
    auth.create_user(ctx.conn, "anggota", "member", first.id)
    keys["anggota"] = auth.issue_key(ctx.conn, "anggota", "demo")[1]
    logins.set_password(ctx.conn, "anggota", demo_password("anggota"), temporary=False)
    floor = Money(0, ctx.settings.currency)
    for number, name, gl in (("CASH-01", "Kas Teller 1", "cash"), ("VAULT", "Brankas", "vault"),
                             ("BANK-BPD", "Bank BPD", "bank")):
        ledger.open_account(ctx, name=name, gl_key=gl, plugin="kopcore", number=number,
                            floor=floor)
    capital = Money.parse("250000000", ctx.settings.currency)
    ledger.post_entry(ctx, [PostingLine("BANK-BPD", Side.DEBIT, capital),
                            PostingLine("GL-equity.grants", Side.CREDIT, capital)],
                      memo="Hibah modal awal koperasi")
    opening_cash = Money.parse("20000000", ctx.settings.currency)
    ledger.post_entry(ctx, [PostingLine("CASH-01", Side.DEBIT, opening_cash),
                            PostingLine("BANK-BPD", Side.CREDIT, opening_cash)],
                      memo="Pengisian kas teller")
    return keys


def month_day(first: date, months: int) -> date:
    """Day :data:`HISTORY_DAY` of the month ``months`` after ``first``'s."""
    year, month = divmod(first.month - 1 + months, 12)
    return date(first.year + year, month + 1, HISTORY_DAY)


def _play_history(kernel: Kernel, seeds: list[tuple[str, DemoSeed]], months: int) -> None:
    """End of day through ``months`` months from the demo's start, with each plugin's month of
    activity on the 7th of every month."""
    for n in range(1, months + 1):
        day = month_day(DEMO_START, n)
        run_end_of_day(kernel, until=day)
        for _plugin, seed in seeds:
            each_month = seed.each_month
            if each_month is not None:
                kernel.write("admin", partial(_month, each_month, day), operation=seed.operation)


def _month(each_month: Callable[[Context, date], Any], day: date, ctx: Context) -> Any:
    return each_month(ctx, day)


def create_demo(database: str, plugins: tuple[str, ...] | None = None, *, months: int = 0
                ) -> tuple[Settings, dict[str, str]]:
    """Recreate the demo database with the given plugins (default: every installed product
    plugin), with ``months`` months of history played through; returns the settings and the
    demo users' API keys."""
    _reset_sqlite(database)
    settings = Settings(database_url=database, cooperative_name="Koperasi Demo Sejahtera",
                        plugins=product_plugins() if plugins is None else plugins,
                        source="demo")
    kernel = Kernel.start(settings, migrate=True, initial_date=DEMO_START)
    try:
        keys = kernel.write("admin", seed_kernel, operation="demo")
        seeds = sorted(
            ((plugin, seed) for plugin, result in kernel.plugins.call("kopcore_demo_seed")
             for seed in result),
            key=lambda ps: (ps[1].order, ps[1].name),
        )
        for _plugin, seed in seeds:
            kernel.write("admin", seed.seed, operation=seed.operation)
        _play_history(kernel, seeds, months)
    finally:
        kernel.close()
    return settings, keys


def demo_member(settings: Settings) -> tuple[str, str]:
    """The member number and phone of the demo's first member, who signs in to the member
    app (the one-time code is kept by the development channel: ``kopcore notify outbox``)."""
    kernel = Kernel.start(settings)
    try:
        member = kernel.read("admin", lambda ctx: ledger.list_members(ctx, limit=1)[0])
    finally:
        kernel.close()
    return member.member_number, member.phone or ""
