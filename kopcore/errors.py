"""Typed errors.

Every error a user can cause is a :class:`KopcoreError` with a stable ``code``. The API turns it
into RFC 9457 problem+json with ``type`` = ``https://kopcore.org/problems/<code>``; the CLI prints
the same title and detail and exits with status 1. Plugins raise these (or subclasses with their
own codes) and never need to know which interface called them.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

PROBLEM_BASE = "https://kopcore.org/problems/"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with its control characters escaped (``\\x00``, ``\\n``, ``\\x1b``): safe to
    store in any database, to log and to print on a terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


#: The members RFC 9457 defines, plus kopcore's ``code``: each has one meaning (``status`` is the
#: HTTP status, an integer), so an error's extra members may not take their names.
RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "code"})


class KopcoreError(Exception):
    """Base of every error that is the caller's to fix (never a bug).

    ``extra`` members are added to the problem document; naming one after a member in
    :data:`RESERVED_MEMBERS` is a programming error (``TypeError``): a loan's status travels as
    ``loan_status``, never as ``status``. Control characters in the detail and in text members
    are escaped (:func:`printable`): a refusal quoting its input (an unknown field named with a
    NUL, an account number with a terminal escape) is always auditable and printable.
    """

    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Request refused"
    status: ClassVar[int] = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        clash = RESERVED_MEMBERS.intersection(extra)
        if clash:
            raise TypeError(f"{type(self).__name__}: {', '.join(sorted(clash))} is a reserved "
                            "problem member; name the extra member after what it holds")
        detail = printable(detail)
        super().__init__(detail)
        self.detail = detail
        self.extra: dict[str, Any] = {
            key: printable(value) if isinstance(value, str) else value
            for key, value in extra.items()}

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.code

    def to_problem(self) -> dict[str, Any]:
        """RFC 9457 problem details document: the reserved members, then the extra ones."""
        return {"type": self.type_uri, "title": self.title, "status": self.status,
                "detail": self.detail, "code": self.code, **self.extra}


class BadRequest(KopcoreError):
    """The request itself is malformed (not a value a field's rules could judge): text no
    database can store, JSON nested beyond any input's depth, a body of the wrong type."""

    code = "bad-request"
    title = "Bad request"


class UnsupportedMediaType(KopcoreError):
    """A body sent as something else than what the operation reads (JSON: application/json)."""

    code = "unsupported-media-type"
    title = "Unsupported media type"
    status = 415


class TooManyRequests(KopcoreError):
    """A public route's rate limit is spent; ``retry_after`` says in how many seconds."""

    code = "too-many-requests"
    title = "Too many requests"
    status = 429


class ValidationError(KopcoreError):
    code = "validation-error"
    title = "Invalid input"
    status = 422

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        if field is not None:
            extra["field"] = field
        super().__init__(detail, **extra)


class InvalidAmount(ValidationError):
    code = "invalid-amount"
    title = "Invalid amount"


class CurrencyMismatch(ValidationError):
    code = "currency-mismatch"
    title = "Currency mismatch"


class UnbalancedEntry(ValidationError):
    code = "unbalanced-entry"
    title = "Journal entry does not balance"


class NotFound(KopcoreError):
    code = "not-found"
    title = "Not found"
    status = 404


class Conflict(KopcoreError):
    code = "conflict"
    title = "Conflict with the current state"
    status = 409


class IdempotencyConflict(Conflict):
    code = "idempotency-conflict"
    title = "Idempotency key reused with a different request"
    status = 422


class AlreadyReversed(Conflict):
    code = "already-reversed"
    title = "Entry already reversed"


class AccountClosed(Conflict):
    code = "account-closed"
    title = "Account is closed"


class AccountFrozen(Conflict):
    code = "account-frozen"
    title = "Account is frozen"


class InsufficientFunds(Conflict):
    code = "insufficient-funds"
    title = "Insufficient funds"


class BalanceOutOfRange(Conflict):
    """A posting would take a balance beyond the money range (``kopcore.money.MAX_MINOR``)."""

    code = "balance-out-of-range"
    title = "Balance out of range"


class NotWithdrawable(Conflict):
    code = "not-withdrawable"
    title = "Not withdrawable"


class MemberNotActive(Conflict):
    code = "member-not-active"
    title = "Member is not active"


class ExitRefused(Conflict):
    code = "exit-refused"
    title = "Member exit refused"


class Vetoed(Conflict):
    """A plugin refused a change through a veto hook; ``reason`` is the plugin's stable reason
    code, ``plugin`` its name."""

    def __init__(self, detail: str, *, reason: str, plugin: str) -> None:
        super().__init__(detail, reason=reason, plugin=plugin)
        self.reason = reason
        self.plugin = plugin


class PostingVetoed(Vetoed):
    """A plugin refused an entry (``kopcore_veto_entry``)."""

    code = "posting-vetoed"
    title = "Posting refused by a plugin"


class MemberChangeVetoed(Vetoed):
    """A plugin refused a member's registration, activation, contact change or exit
    (``kopcore_veto_member_change``)."""

    code = "member-change-vetoed"
    title = "Member change refused by a plugin"


class BusinessDateError(Conflict):
    code = "business-date"
    title = "Business date does not allow this"


class EndOfDayRunning(Conflict):
    code = "end-of-day-running"
    title = "End of day is running"


class Unauthorized(KopcoreError):
    code = "unauthorized"
    title = "Authentication required"
    status = 401


class Forbidden(KopcoreError):
    code = "forbidden"
    title = "Not allowed"
    status = 403


class ApprovalPending(KopcoreError):
    """Not an error to the caller: the request waits for a second person (maker-checker)."""

    code = "approval-required"
    title = "Second approval required"
    status = 202


class PluginError(Exception):
    """A plugin could not be loaded or conflicts with another; start-up stops (fail closed)."""


class ConfigurationError(Exception):
    """The settings file or environment is wrong; start-up stops with this message."""


class ImportRefused(ValidationError):
    """A cut-over import file was refused: ``problems`` lists each one with its sheet, row and
    column, and ``differences`` the accounts whose balances do not reconcile."""

    code = "import-refused"
    title = "Import refused"
