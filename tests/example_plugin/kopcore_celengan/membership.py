"""A membership rule celengan brings to the whole cooperative: members join from 17.

Seventeen is the age an Indonesian receives a KTP; the NIK, given at birth, carries the birth
date (digits 7-12, DDMMYY, women adding 40 to the day). Every plugin's members are the
cooperative's members, so the rule is a ``kopcore_veto_member_change`` veto: it applies however
the registration arrives (API, CLI, a plugin's own code).
"""

from __future__ import annotations

from datetime import date

from kopcore.ledger import Member, MemberChange, MemberChangeKind
from kopcore.records import Veto

#: The veto's stable reason code.
UNDERAGE = "celengan.underage"
MINIMUM_AGE = 17


def age_on(nik: str, day: date) -> int:
    """Whole years between the birth date a (valid) NIK carries and ``day``. A two-digit year
    is taken in the century that does not put the birth after ``day``."""
    born_day, month, year = int(nik[6:8]) % 40, int(nik[8:10]), int(nik[10:12])
    century = 2000 if 2000 + year <= day.year else 1900
    return day.year - (century + year) - ((day.month, day.day) < (month, born_day))


def veto(today: date, member: Member | None, change: MemberChange) -> Veto | None:
    """Refuse registering an applicant younger than :data:`MINIMUM_AGE` on ``today``."""
    if change.kind is not MemberChangeKind.REGISTER or change.nik is None:
        return None
    age = age_on(change.nik, today)
    if age >= MINIMUM_AGE:
        return None
    return Veto(UNDERAGE, f"members join from {MINIMUM_AGE} years of age; the applicant with "
                          f"NIK {change.nik} is {age}")
