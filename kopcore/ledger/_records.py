"""Read-side records of the ledger: what the kernel hands to plugins and handlers."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime

import attrs

from kopcore._db.tables import HEAD_OFFICE_ID
from kopcore.money import Money
from kopcore.records import PostingLine


class MemberStatus(enum.StrEnum):
    APPLICANT = "applicant"
    ACTIVE = "active"
    LEFT = "left"


class MemberKind(enum.StrEnum):
    """A natural person, or a legal entity (badan hukum) by its legal form (docs/members.md)."""

    PERSON = "person"
    KOPERASI = "koperasi"
    PT = "pt"
    CV = "cv"
    FIRMA = "firma"
    YAYASAN = "yayasan"
    PERKUMPULAN = "perkumpulan"
    OTHER = "other"


class Membership(enum.StrEnum):
    """A member (anggota), or a counterparty served by agreement who is not one (Permenkop
    8/2023): it holds accounts and loans, has no SHU share, no vote and no simpanan wajib."""

    MEMBER = "member"
    NON_MEMBER = "non-member"


class OfficeKind(enum.StrEnum):
    """The kinds of office (DOMAIN.md §9), from the root of the tree down."""

    PUSAT = "pusat"  #: the head office (kantor pusat): the one root
    CABANG = "cabang"  #: a branch (kantor cabang)
    KAS = "kas"  #: a cash office (kantor kas), under a branch or the head office


@attrs.frozen
class Office:
    """An office of the cooperative: ``code`` (``KP``, ``CAB01``), name, kind and the office it
    reports to (``parent_id``; ``None`` only for the head office)."""

    id: int
    code: str
    name: str
    kind: OfficeKind
    parent_id: int | None


class AccountStatus(enum.StrEnum):
    OPEN = "open"
    FROZEN = "frozen"
    CLOSED = "closed"


@attrs.frozen
class Member:
    id: int
    member_number: str
    name: str
    nik: str | None
    phone: str | None
    email: str | None
    address: str | None
    status: MemberStatus
    applied_on: date
    joined_on: date | None
    left_on: date | None
    exit_reason: str | None
    kind: MemberKind = MemberKind.PERSON
    membership: Membership = Membership.MEMBER
    nib: str | None = None
    npwp: str | None = None
    legal: LegalDocuments | None = None

    @property
    def is_entity(self) -> bool:
        """A legal entity (badan hukum), not a person."""
        return self.kind is not MemberKind.PERSON

    @property
    def is_member(self) -> bool:
        """A member (anggota), not a counterparty served by agreement."""
        return self.membership is Membership.MEMBER


@attrs.frozen
class LegalDocuments:
    """A legal entity's papers and who acts for it: the deed of establishment (akta pendirian),
    the decree that made it a legal entity (SK pengesahan badan hukum) and its representative."""

    deed_number: str | None = None
    deed_date: date | None = None
    legal_decree_number: str | None = None
    legal_decree_date: date | None = None
    representative_name: str | None = None
    representative_nik: str | None = None
    representative_position: str | None = None


@attrs.frozen
class Account:
    """A ledger account: a member's sub-ledger account, an internal account or a GL account.

    ``balance`` is on the account's normal side (a savings account with Rp100 in it shows +100);
    ``available`` is that minus active holds.
    """

    id: int
    number: str
    name: str
    gl_key: str
    member_id: int | None
    product_code: str | None
    plugin: str
    currency: str
    normal_sign: int
    status: AccountStatus
    balance: Money
    held: Money
    floor: Money | None
    opened_on: date
    closed_on: date | None
    #: The office the account belongs to (contract 1.1).
    office_id: int = HEAD_OFFICE_ID

    @property
    def available(self) -> Money:
        return self.balance - self.held


@attrs.frozen
class PostingView:
    account_id: int
    account_number: str
    amount: Money
    """Signed, debit-positive."""
    #: The office whose books the posting is in (contract 1.1).
    office_id: int = HEAD_OFFICE_ID

    @property
    def side(self) -> str:
        return "debit" if self.amount.minor > 0 else "credit"


@attrs.frozen
class JournalEntry:
    """A posted journal entry with its postings.

    ``source`` is the plugin whose operation or end-of-day task posted it, or ``python-api``
    (see :func:`kopcore.ledger._prepare.entry_source`); ``None`` for entries posted before the
    kernel recorded sources.
    """

    id: int
    business_date: date
    memo: str
    actor: str
    operation: str
    source: str | None
    idempotency_key: str | None
    reverses_entry_id: int | None
    created_at: datetime
    postings: Sequence[PostingView]
    #: True when this call posted nothing because the idempotency key was seen before.
    replayed: bool = False


@attrs.frozen
class ProposedEntry:
    """An entry as requested, after validation, before locks: what veto hooks see.

    ``source`` is what a veto can rely on to tell who is posting: the plugin whose operation or
    end-of-day task caused the entry (``savings``, ``kopcore.ledger`` for a teller's manual
    entry, ``kopcore.members`` for a member's exit), or ``python-api`` for a direct call from
    Python (:func:`kopcore.ledger._prepare.entry_source`). ``settles_dues`` marks the entry of
    a collection composed by :func:`kopcore.ledger.settle_dues`.
    """

    lines: Sequence[PostingLine]
    accounts: dict[str, Account]
    memo: str
    operation: str
    source: str
    business_date: date
    reverses_entry_id: int | None = None
    #: Posted by :func:`kopcore.ledger.settle_dues`: one collection settling several plugins'
    #: dues of a member (a salary deduction paying a loan installment and a murabahah one).
    settles_dues: bool = False


class MemberChangeKind(enum.StrEnum):
    """What is about to happen to a member."""

    REGISTER = "register"
    ACTIVATE = "activate"
    UPDATE_CONTACT = "update-contact"
    EXIT = "exit"


@attrs.frozen
class MemberChange:
    """A change to a member the kernel is about to make: what ``kopcore_veto_member_change``
    sees, after the kernel's own checks and before anything is written.

    ``register``: the applicant's ``name``, ``nik`` (None for a legal entity), contact details
    and ``member_number`` (None when the kernel numbers the member), and its ``member_kind``,
    ``membership``, ``nib`` and ``npwp``. ``update-contact``: the new ``phone``, ``email`` and
    ``address`` (None: unchanged). ``exit``: the ``reason`` given. ``activate``: nothing more.
    """

    kind: MemberChangeKind
    name: str | None = None
    nik: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    member_number: str | None = None
    reason: str | None = None
    member_kind: str | None = None
    membership: str | None = None
    nib: str | None = None
    npwp: str | None = None
