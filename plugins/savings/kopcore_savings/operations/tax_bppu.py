"""A month's withholding on savings interest as the tax office's import file: *Bukti
Pemotongan/Pemungutan Unifikasi* (BPPU), the XML the Coretax e-Bupot module imports
(``savings tax-recap --format bppu-xml``).

One ``Bpu`` per line taxed in the month (an account's interest of a month, taxed on its own; by
the month the tax was withheld, ``by`` ``paid``), under the root ``BpuBulk`` with the
withholder's NPWP (``TIN``, setting ``cooperative_npwp``). The elements, in the order the DJP's
*BPPU Excel to XML* converter (v.3) writes them, as independent reproductions of its schema give
them:

- ``TaxPeriodMonth``, ``TaxPeriodYear``: the masa pajak;
- ``CounterpartTin``: the member's NPWP, else (a person) the NIK, which serves as NPWP since 2024
  (PMK 112/PMK.03/2022); ``IDPlaceOfBusinessActivityOfIncomeRecipient``: its ID TKU, the
  16 digits followed by ``000000``;
- ``TaxCertificate`` ``N/A`` (no facility); ``TaxObjectCode``: ``28-417-02`` (bunga simpanan
  paid by a cooperative to a member who is a person, above Rp240,000: PPh final 10 %) or
  ``24-102-01`` (bunga other than that subject to PPh pasal 4(2): PPh pasal 23, a legal entity);
- ``TaxBase`` (DPP: the line's interest) and ``Rate`` (percent);
- ``Document`` ``PaymentProof``, ``DocumentNumber`` the slip number (``BP-YYYYMM-<member>``) and
  ``DocumentDate`` the line's payment; ``IDPlaceOfBusinessActivity``: the withholder's
  ID TKU; ``GovTreasurerOpt`` ``N/A``; ``SP2DNumber`` nil (a government treasurer's only);
  ``WithholdingDate``: the payment date.

The tax office computes the tax from ``TaxBase`` x ``Rate``, to the rupiah. A line whose
withheld tax is not that (tax withheld later on an earlier month's interest, a product rounding
to more than Rp1) and a member who has no NPWP or NIK are left out of the file and listed in
``not_exported`` with the reason, to be keyed by hand.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from xml.etree import ElementTree as ET

from kopcore.errors import Message, ValidationError
from kopcore.money import Money
from kopcore_savings.entity_tax import BASIS_ENTITY
from kopcore_savings.interest import round_half_up
from kopcore_savings.messages import _
from kopcore_savings.operations.tax import TaxMemberOut, TaxRecapOut

#: The elements of one ``Bpu``, in the converter's order.
FIELDS = ("TaxPeriodMonth", "TaxPeriodYear", "CounterpartTin",
          "IDPlaceOfBusinessActivityOfIncomeRecipient", "TaxCertificate", "TaxObjectCode",
          "TaxBase", "Rate", "Document", "DocumentNumber", "DocumentDate",
          "IDPlaceOfBusinessActivity", "GovTreasurerOpt", "SP2DNumber", "WithholdingDate")
#: Kode objek pajak: interest a cooperative pays a member who is a person (above the
#: threshold), and interest paid to a legal entity (PPh pasal 23).
PERSON_OBJECT = "28-417-02"
ENTITY_OBJECT = "24-102-01"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def id_tku(tin: str) -> str:
    """The ID TKU of a taxpayer's head office: its 16-digit NPWP followed by ``000000``."""
    return tin + "000000"


def _amount(money: Money) -> str:
    """Rupiah as the converter writes a decimal: whole rupiah without decimals."""
    text = money.to_str()
    return text[:-3] if text.endswith(".00") else text


def _rate(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _tin(member: TaxMemberOut) -> str | None:
    if member.npwp:
        return member.npwp
    if member.basis != BASIS_ENTITY and member.nik:
        return member.nik
    return None


def _rows(recap: TaxRecapOut, member: TaxMemberOut, withholder: str
          ) -> tuple[list[dict[str, str]], list[Message]]:
    """The member's ``Bpu`` values, one per line taxed (an account's interest of a month, as
    it was taxed on its own), and why any cannot be exported."""
    tin = _tin(member)
    if tin is None:
        return [], [_("{member}: no NPWP or NIK", member=member.member)]
    year, month = recap.month.split("-")
    rows, left_out = [], []
    for line in member.accounts:
        if not line.tax.is_positive():
            continue
        expected = round_half_up(Fraction(line.gross.minor) * Fraction(line.rate) / 100, 100)
        if not line.gross.is_positive() or expected != line.tax.minor or line.paid_on is None:
            left_out.append(_("{member}: tax withheld {withheld} on {account} is not the DPP "
                              "{base} x {rate} %", member=member.member,
                              withheld=line.tax.to_str(), account=line.account,
                              base=line.gross.to_str(), rate=_rate(line.rate)))
            continue
        paid = line.paid_on.isoformat()
        rows.append({
            "TaxPeriodMonth": str(int(month)), "TaxPeriodYear": year, "CounterpartTin": tin,
            "IDPlaceOfBusinessActivityOfIncomeRecipient": id_tku(tin),
            "TaxCertificate": "N/A",
            "TaxObjectCode": ENTITY_OBJECT if member.basis == BASIS_ENTITY else PERSON_OBJECT,
            "TaxBase": _amount(line.gross), "Rate": _rate(line.rate),
            "Document": "PaymentProof", "DocumentNumber": member.slip_number or "",
            "DocumentDate": paid, "IDPlaceOfBusinessActivity": id_tku(withholder),
            "GovTreasurerOpt": "N/A", "SP2DNumber": "", "WithholdingDate": paid})
    return rows, left_out


def to_bppu(recap: TaxRecapOut, locale: str) -> tuple[str, list[str]]:
    """The BPPU import file of the month's recap, and the members left out with why (in
    ``locale``)."""
    if recap.withholder_npwp is None:
        raise ValidationError(_("the e-Bupot file needs the cooperative's NPWP: set "
                                "cooperative_npwp"), field="format")
    ET.register_namespace("xsi", XSI)
    root = ET.Element("BpuBulk")
    ET.SubElement(root, "TIN").text = recap.withholder_npwp
    listed = ET.SubElement(root, "ListOfBpu")
    left_out: list[str] = []
    for member in recap.members:
        if not member.tax.is_positive():
            continue
        rows, reasons = _rows(recap, member, recap.withholder_npwp)
        left_out += [reason.text_in(locale) for reason in reasons]
        for values in rows:
            bpu = ET.SubElement(listed, "Bpu")
            for field in FIELDS:
                element = ET.SubElement(bpu, field)
                if field == "SP2DNumber":
                    element.set(f"{{{XSI}}}nil", "true")
                else:
                    element.text = values[field]
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body + "\n", left_out
