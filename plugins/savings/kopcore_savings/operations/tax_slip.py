"""The withholding slips (bukti potong) of a month's savings interest and their recap, as one
printable HTML page: the recap first (a line per member: slip number, name, NIK or NPWP,
basis, gross and tax; PPh final pasal 4 ayat 2 and PPh pasal 23 totalled apart), then one slip
per member on a page of its own, each with:

- its number (:func:`kopcore_savings.operations.tax.slip_number`) and tax period (masa pajak:
  the month the tax was withheld);
- the withholder: the cooperative's name and NPWP (settings ``cooperative_name`` and
  ``cooperative_npwp``);
- the payee: the member's name, number and NIK (a person) or NPWP (a legal entity);
- each account's interest: the month it was earned in, the date it was paid, the gross, the
  rate and the tax withheld;
- the basis: PPh final pasal 4 ayat (2) under PP 15/2009 (a person), PPh pasal 23 (a legal
  entity), or why nothing was withheld (a bank, or the SKB's number).

By ``earned`` the page lists the interest earned in the month instead, wherever it was paid: a
statement of how each month met the threshold, titled so and without slip numbers (a slip is
issued for a withholding, so by the month it was withheld).

Self-contained: inline CSS, no script, nothing fetched. The labels are the plugin's messages in
the cooperative's language (Indonesian unless the setting ``language`` says otherwise);
amounts in the Indonesian format (``Rp1.500.000,00``), dates as ``01/03/2026``.
"""

from __future__ import annotations

import html
from datetime import date
from typing import TYPE_CHECKING

from kopcore.errors import Message
from kopcore.money import Money
from kopcore.views import PRINT_STYLE
from kopcore_savings.entity_tax import BASIS_PERSON
from kopcore_savings.messages import _

if TYPE_CHECKING:
    from kopcore_savings.operations.tax import TaxLineOut, TaxMemberOut, TaxRecapOut

STYLE = PRINT_STYLE + """
table.identity td { border-bottom: none; padding: 1px 6px; } table.identity td.label {
width: 14em; color: #444; } p.basis { font-size: 10pt; } .note { font-size: 9pt; color: #555; }
div.sign { margin-top: 3em; width: 18em; margin-left: auto; text-align: center; }
div.sign p.line { margin-top: 4em; border-top: 1px solid #111; padding-top: 2px; }
"""

MONTHS: tuple[Message, ...] = (
    _("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"),
    _("August"), _("September"), _("October"), _("November"), _("December"))


def _e(text: object) -> str:
    return html.escape(str(text))


def _month(month: str, locale: str) -> str:
    """``2026-03`` as ``Maret 2026``."""
    return f"{MONTHS[int(month[5:]) - 1].text_in(locale)} {month[:4]}"


def _day(day: date | None) -> str:
    return "-" if day is None else day.strftime("%d/%m/%Y")


def _money(amount: Money) -> str:
    return amount.format()


def _source(source: str, locale: str) -> str:
    if source == "berjangka":
        return _("Time deposit (berjangka)").text_in(locale)
    return _("Voluntary savings (sukarela)").text_in(locale)


def _exemption(reason: str | None, reference: str | None, locale: str) -> str | None:
    if reason == "bank":
        return _("Not withheld: income paid to a bank (UU PPh Pasal 23 ayat (4) huruf a)"
                 ).text_in(locale)
    if reason == "skb":
        return _("Not withheld: Surat Keterangan Bebas (SKB) number {reference}",
                 reference=reference or "-").text_in(locale)
    return None


def _basis(member: TaxMemberOut, locale: str) -> str:
    if member.basis == BASIS_PERSON:
        return _("PPh final pasal 4 ayat (2) on the savings interest of a member who is a "
                 "person (PP 15/2009)").text_in(locale)
    return _("PPh pasal 23 on interest paid to a legal entity (UU PPh Pasal 23 ayat (1) huruf "
             "a), not final").text_in(locale)


def _basis_short(member: TaxMemberOut, locale: str) -> str:
    if member.basis == BASIS_PERSON:
        return _("PPh final 4(2)").text_in(locale)
    return _("PPh 23").text_in(locale)


def _head(locale: str, amounts_from: int, labels: tuple[Message, ...]) -> str:
    """A table's header row; the columns from ``amounts_from`` on are amounts."""
    return "".join(("<th class=\"amount\">" if i >= amounts_from else "<th>")
                   + _e(label.text_in(locale)) + "</th>" for i, label in enumerate(labels))


def _identity(member: TaxMemberOut) -> str:
    return f"NIK {member.nik}" if member.nik else f"NPWP {member.npwp or '-'}"


def _line(line: TaxLineOut, locale: str) -> str:
    basis = _exemption(line.exemption, line.exemption_reference, locale)
    note = "" if basis is None else f'<br><span class="note">{_e(basis)}</span>'
    catch_up = ""
    if line.gross.minor == 0 and line.tax.is_positive():
        catch_up = '<br><span class="note">{}</span>'.format(_e(_(
            "tax on interest of the month paid earlier, withheld now").text_in(locale)))
    return (f"<tr><td>{_e(line.account)}<br><span class=\"note\">"
            f"{_e(_source(line.source, locale))}</span>{note}{catch_up}</td>"
            f"<td>{_e(_month(line.month, locale) if line.month else '-')}</td>"
            f"<td>{_e(_day(line.paid_on))}</td>"
            f"<td class=\"amount\">{_e(_money(line.gross))}</td>"
            f"<td class=\"amount\">{_e(line.rate)} %</td>"
            f"<td class=\"amount\">{_e(_money(line.tax))}</td></tr>")


def _slip(recap: TaxRecapOut, member: TaxMemberOut, locale: str) -> str:
    paid = recap.by == "paid"
    if not paid:
        title = _("Savings interest and tax by the month earned").text_in(locale)
    elif member.basis == BASIS_PERSON:
        title = _("Withholding slip: PPh final pasal 4 ayat (2) on savings interest"
                  ).text_in(locale)
    else:
        title = _("Withholding slip: PPh pasal 23 on savings interest").text_in(locale)
    rows = [(_("Slip number").text_in(locale), member.slip_number or "-"),
            (_("Tax period (month withheld)").text_in(locale) if paid
             else _("Month earned").text_in(locale), _month(recap.month, locale))]
    withholder = [(_("Withholder").text_in(locale), recap.withholder or "-"),
                  (_("Withholder's NPWP").text_in(locale), recap.withholder_npwp or "-")]
    payee = [(_("Payee").text_in(locale), member.name),
             (_("Member number").text_in(locale), member.member),
             ("NIK" if member.nik else "NPWP", member.nik or member.npwp or "-")]
    identity = "".join(f'<tr><td class="label">{_e(k)}</td><td>{_e(v)}</td></tr>'
                       for k, v in (*rows, *withholder, *payee))
    head = _head(locale, 3, (_("Account"), _("Month earned"), _("Date paid"),
                             _("Gross interest"), _("Rate"), _("Tax withheld")))
    lines = "".join(_line(x, locale) for x in member.accounts)
    total = (f'<tr class="total"><td colspan="3">{_e(_("Total").text_in(locale))}</td>'
             f'<td class="amount">{_e(_money(member.gross))}</td><td></td>'
             f'<td class="amount">{_e(_money(member.tax))}</td></tr>')
    basis = _basis(member, locale)
    exempt = _exemption(member.exemption, member.exemption_reference, locale)
    out = [f"<section><h1>{_e(title)}</h1>",
           f'<table class="identity">{identity}</table>',
           f"<table><tr>{head}</tr>{lines}{total}</table>",
           f'<p class="basis"><b>{_e(_("Basis").text_in(locale))}:</b> {_e(basis)}'
           + ("" if exempt is None else f"<br>{_e(exempt)}") + "</p>"]
    if paid:
        out.append(f'<div class="sign"><p>{_e(_("Withholder").text_in(locale))}</p>'
                   f'<p class="line">{_e(recap.withholder or "")}</p></div>')
    else:
        note = _("Not a withholding slip: a slip is issued for the month the tax was withheld "
                 "(by paid).")
        out.append(f'<p class="note">{_e(note.text_in(locale))}</p>')
    out.append("</section>")
    return "".join(out)


def _recap(recap: TaxRecapOut, locale: str) -> str:
    paid = recap.by == "paid"
    title = (_("Recap of tax withheld on savings interest") if paid
             else _("Recap of savings interest and tax by the month earned")).text_in(locale)
    period = (_("Tax period (month withheld)") if paid else _("Month earned")).text_in(locale)
    npwp = recap.withholder_npwp or "-"
    head = _head(locale, 4, (_("Slip number"), _("Payee"), _("NIK / NPWP"), _("Basis"),
                             _("Gross interest"), _("Tax withheld")))
    rows = "".join(
        f"<tr><td>{_e(m.slip_number or '-')}</td><td>{_e(m.member)} {_e(m.name)}</td>"
        f"<td>{_e(_identity(m))}</td><td>{_e(_basis_short(m, locale))}</td>"
        f'<td class="amount">{_e(_money(m.gross))}</td>'
        f'<td class="amount">{_e(_money(m.tax))}</td></tr>' for m in recap.members)
    totals: list[tuple[str, Money | None, Money]] = [
        (_("Total").text_in(locale), recap.gross, recap.tax)]
    for label, amount in ((_("of which PPh final pasal 4 ayat (2)"), recap.tax_final),
                          (_("of which PPh pasal 23"), recap.tax_pasal_23)):
        if amount is not None:
            totals.append((label.text_in(locale), None, amount))
    total_rows = "".join(
        f'<tr class="total"><td colspan="4">{_e(label)}</td>'
        f'<td class="amount">{"" if gross is None else _e(_money(gross))}</td>'
        f'<td class="amount">{_e(_money(tax))}</td></tr>' for label, gross, tax in totals)
    return (f"<section><h1>{_e(title)}</h1>"
            f'<p class="sub">{_e(recap.withholder or "")} &middot; NPWP {_e(npwp)} &middot; '
            f"{_e(period)}: {_e(_month(recap.month, locale))}</p>"
            f"<table><tr>{head}</tr>{rows}{total_rows}</table></section>")


def to_html(recap: TaxRecapOut, locale: str) -> str:
    """The recap and each member's slip as one printable page (a page break between)."""
    title = _("Withholding tax on savings interest").text_in(locale)
    return "".join([
        f'<!DOCTYPE html><html lang="{_e(locale)}"><head><meta charset="utf-8">',
        f"<title>{_e(title)} {_e(recap.month)}</title>",
        f"<style>{STYLE}</style></head><body>",
        _recap(recap, locale),
        *(_slip(recap, member, locale) for member in recap.members),
        "</body></html>"])
