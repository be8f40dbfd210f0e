"""The e-statement (mutasi rekening) as a PDF: the member app's download of the statement it
shows, from the same ``accounts.statement`` payload.

One header (the cooperative, the holder, the account, the period, printed on), the opening
balance, one Courier line per entry (date, description, debit, credit, balance: the amounts
right-aligned in their columns), the closing balance and the totals of the period. Amounts as
the app shows them (``Rp1.500.000,00``), dates ``07/12/2026`` in the table.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kopcore._i18n import format_date, format_money
from kopcore._pdf import Document
from kopcore.interfaces.web._show import money_of
from kopcore.money import Money

LOCALE = "id"
#: Column widths in Courier characters at 8 points (103 fit between the margins).
DATE, MEMO, AMOUNT, BALANCE = 10, 34, 18, 19


def _row(day: str, memo: str, debit: str, credit: str, balance: str) -> str:
    memo = memo if len(memo) <= MEMO else memo[:MEMO - 1] + "~"
    return (f"{day:<{DATE}} {memo:<{MEMO}} {debit:>{AMOUNT}} {credit:>{AMOUNT}} "
            f"{balance:>{BALANCE}}")


def statement_pdf(cooperative: str, holder: str, account: dict[str, Any],
                  statement: dict[str, Any], printed_on: date) -> bytes:
    """The PDF of ``statement`` (an ``accounts.statement`` payload) of ``account``."""
    since = date.fromisoformat(statement["from_date"])
    until = date.fromisoformat(statement["to_date"])
    doc = Document(f"Mutasi rekening {account['number']}",
                   footer=f"{cooperative} - dicetak {format_date(printed_on, LOCALE)}")
    doc.add(cooperative, font="bold", size=14)
    doc.add("Mutasi Rekening (e-statement)", font="bold", size=11)
    doc.add()
    doc.add(f"Nama           : {holder}", font="mono", size=9)
    doc.add(f"Rekening       : {account['number']} - {account['name']}", font="mono", size=9)
    doc.add(f"Periode        : {format_date(since, LOCALE)} s.d. {format_date(until, LOCALE)}",
            font="mono", size=9)
    doc.add()
    doc.add(_row("Tanggal", "Keterangan", "Debit", "Kredit", "Saldo"), font="mono-bold",
            size=8)
    opening = money_of(statement["opening_balance"])
    doc.add(_row(format_date(since, LOCALE, short=True), "Saldo awal", "", "",
                 format_money(opening)), font="mono", size=8)
    debits = credits = Money(0, opening.currency)
    for line in statement["lines"]:
        debit, credit = money_of(line["debit"]), money_of(line["credit"])
        debits, credits = debits + debit, credits + credit
        doc.add(_row(format_date(date.fromisoformat(line["business_date"]), LOCALE,
                                 short=True),
                     line["memo"] or "", format_money(debit) if debit.amount else "",
                     format_money(credit) if credit.amount else "",
                     format_money(money_of(line["balance"]))), font="mono", size=8)
    doc.add(_row(format_date(until, LOCALE, short=True), "Saldo akhir", format_money(debits),
                 format_money(credits), format_money(money_of(statement["closing_balance"]))),
            font="mono-bold", size=8)
    doc.add()
    doc.add(f"{len(statement['lines'])} transaksi. Dokumen ini dibuat oleh sistem dan sah "
            "tanpa tanda tangan.", size=8)
    return doc.render()
