"""Demo data: two employers of a KPRI, the demo members employed by them, and next month's
deduction lists (made after every product plugin seeded its accounts and loans)."""

from __future__ import annotations

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import NotFound
from kopcore.ledger import MemberStatus
from kopcore_payroll import batches, employers

BANK = "BANK-BPD"


def seed(ctx: Context) -> list[str]:
    """Employers DISDIK and RSUD; active members alternate between them; lists for next
    month. Returns the employer codes."""
    try:
        ledger.get_account(ctx, BANK)
    except NotFound:  # the kernel's demo opens the bank account; without it, nothing
        return []
    made = [
        employers.create_employer(
            ctx, code="DISDIK", name="Dinas Pendidikan Kabupaten",
            kind=employers.EmployerKind.INSTANSI,
            contact_name="Bendahara Gaji Disdik", contact_phone="0361-222333",
            contact_email=None, cut_off_day=20, bank_account=BANK,
            priority=employers.DEFAULT_PRIORITY),
        employers.create_employer(
            ctx, code="RSUD", name="RSUD Kabupaten", kind=employers.EmployerKind.INSTANSI,
            contact_name="Bagian Kepegawaian RSUD", contact_phone=None,
            contact_email="kepegawaian@rsud.example", cut_off_day=25, bank_account=BANK,
            priority=employers.DEFAULT_PRIORITY),
    ]
    members = ledger.list_members(ctx, status=MemberStatus.ACTIVE, limit=50)
    for index, member in enumerate(members):
        employer = made[index % 2]
        employers.start_employment(ctx, member.id, employer, f"19{index + 1:06d}",
                                   ctx.business_date.replace(day=1))
    # Next month's lists: the demo's loans fall due then, and its wajib is paid for this one.
    year, month = ctx.business_date.year, ctx.business_date.month + 1
    period = f"{year + 1:04d}-01" if month == 13 else f"{year:04d}-{month:02d}"
    for employer in made:
        batches.make_list(ctx, employer, period)
    return [e.code for e in made]
