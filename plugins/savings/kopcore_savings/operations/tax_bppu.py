"""A month's withholding on savings interest as the tax office's import file: *Bukti
Pemotongan/Pemungutan Unifikasi* (BPPU), the XML the Coretax e-Bupot module imports
(``savings tax-recap --format bppu-xml``).

One ``Bpu`` per member whose interest was taxed in the month (by the month the tax was withheld,
``by`` ``paid``), under the root ``BpuBulk`` with the withholder's NPWP (``TIN``, setting
``cooperative_npwp``). The elements, in the order the DJP's *BPPU Excel to XML* converter (v.3)
writes them, as independent reproductions of its schema give them:

- ``TaxPeriodMonth``, ``TaxPeriodYear``: the masa pajak;
- ``CounterpartTin``: the member's NPWP, else (a person) the NIK, which serves as NPWP since 2024
  (PMK 112/PMK.03/2022); ``IDPlaceOfBusinessActivityOfIncomeRecipient``: its ID TKU, the
  16 digits followed by ``000000``;
- ``TaxCertificate`` ``N/A`` (no facility); ``TaxObjectCode``: ``28-417-02`` (bunga simpanan
  paid by a cooperative to a member who is a person, above Rp240,000: PPh final 10 %) or
  ``24-102-01`` (bunga other than that subject to PPh pasal 4(2): PPh pasal 23, a legal entity);
- ``TaxBase`` (DPP: the interest taxed) and ``Rate`` (percent);
- ``Document`` ``PaymentProof``, ``DocumentNumber`` the slip number (``BP-YYYYMM-<member>``) and
  ``DocumentDate`` the last payment of the month; ``IDPlaceOfBusinessActivity``: the withholder's
  ID TKU; ``GovTreasurerOpt`` ``N/A``; ``SP2DNumber`` nil (a government treasurer's only);
  ``WithholdingDate``: the payment date.

The tax office computes the tax from ``TaxBase`` x ``Rate``. A member whose withheld tax is not
that (tax withheld later on an earlier month's interest) or who has no NPWP or NIK is left out of
the file and listed in ``not_exported`` with the reason, for the slip to be keyed by hand.
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


def _row(recap: TaxRecapOut, member: TaxMemberOut, withholder: str
         ) -> tuple[dict[str, str] | None, Message | None]:
    """The member's ``Bpu`` values, or why it cannot be exported."""
    taxed = [line for line in member.accounts if line.tax.is_positive()]
    rates = {line.rate for line in taxed}
    tin = _tin(member)
    if tin is None:
        return None, _("{member}: no NPWP or NIK", member=member.member)
    if len(rates) != 1:
        return None, _("{member}: interest taxed at more than one rate in the month",
                       member=member.member)
    (rate,) = rates
    base = Money(sum(line.gross.minor for line in taxed), member.tax.currency)
    withheld = sum(line.tax.minor for line in taxed)
    expected = round_half_up(Fraction(base.minor) * Fraction(rate) / 100, 100)
    if not base.is_positive() or expected != withheld:
        return None, _("{member}: tax withheld {withheld} is not the DPP {base} x {rate} %",
                       member=member.member, withheld=Money(withheld, base.currency).to_str(),
                       base=base.to_str(), rate=_rate(rate))
    paid = max(line.paid_on for line in taxed if line.paid_on is not None)
    year, month = recap.month.split("-")
    return {
        "TaxPeriodMonth": str(int(month)), "TaxPeriodYear": year, "CounterpartTin": tin,
        "IDPlaceOfBusinessActivityOfIncomeRecipient": id_tku(tin),
        "TaxCertificate": "N/A",
        "TaxObjectCode": ENTITY_OBJECT if member.basis == BASIS_ENTITY else PERSON_OBJECT,
        "TaxBase": _amount(base), "Rate": _rate(rate), "Document": "PaymentProof",
        "DocumentNumber": member.slip_number or "", "DocumentDate": paid.isoformat(),
        "IDPlaceOfBusinessActivity": id_tku(withholder), "GovTreasurerOpt": "N/A",
        "SP2DNumber": "", "WithholdingDate": paid.isoformat()}, None


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
        values, reason = _row(recap, member, recap.withholder_npwp)
        if values is None:
            left_out.append(reason.text_in(locale) if reason is not None else member.member)
            continue
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
