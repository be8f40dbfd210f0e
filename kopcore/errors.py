"""Typed errors.

Every error a user can cause is a :class:`KopcoreError` with a stable ``code``. The API turns it
into RFC 9457 problem+json with ``type`` = ``https://kopcore.org/problems/<code>``; the CLI prints
the same title and detail and exits with status 1. Plugins raise these (or subclasses with their
own codes) and never need to know which interface called them.

Titles and details speak the person's language (Indonesian first, see docs/i18n.md). A detail
written with :func:`message` (or a plugin's :class:`Messages`) is a :class:`Message`: its English
msgid with named ``{placeholders}`` and their values, translated and filled only when the API or
the CLI renders it, amounts as ``Rp1.250.000,00`` and dates as ``7 Desember 2026``::

    raise InsufficientFunds(message(
        "Insufficient balance: available {available}, requested {requested}",
        available=available, requested=amount), account=number)

``type``, ``code`` and the extra members stay the same in every language: clients key on them.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

PROBLEM_BASE = "https://kopcore.org/problems/"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with its control characters escaped (``\\x00``, ``\\n``, ``\\x1b``): safe to
    store in any database, to log and to print on a terminal. A :class:`Message` is returned
    as it is: its text parameters were escaped when it was made."""
    if isinstance(text, Message):
        return text
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class Messages:
    """A plugin's message catalogue, found by convention in its package:
    ``<package>/locale/<locale>/LC_MESSAGES/<domain>.po``. Calling it marks a message::

        _ = Messages("savings", __name__)     # kopcore_savings/locale/id/LC_MESSAGES/savings.po
        raise NotFound(_("no savings account {number}", number=number))

    A message the plugin's catalogue lacks is looked up in the kernel's, then shown in English.
    """

    def __init__(self, domain: str, package: str) -> None:
        self.domain = domain
        self.package = package.partition(".")[0]

    @cached_property
    def directory(self) -> Path:
        """The package's ``locale`` directory (it need not exist)."""
        spec = importlib.util.find_spec(self.package)
        locations = list(spec.submodule_search_locations or ()) if spec else []
        return Path(locations[0] if locations else ".") / "locale"

    def __call__(self, msgid: str, /, **params: object) -> Message:
        return Message(msgid, self, **params)

    def __repr__(self) -> str:
        return f"Messages({self.domain!r}, {self.package!r})"


class Message(str):
    """A translatable text. As a ``str`` it is the English text with its placeholders filled
    (what logs, the audit trail and code comparing texts see); :meth:`text_in` gives it in
    another language. ``msgid`` is the English text with ``{name}`` placeholders; ``params``
    their values (amounts as :class:`~kopcore.money.Money`, dates as ``date``, other messages,
    text); ``catalogue`` the plugin's :class:`Messages` (``None``: the kernel's)."""

    msgid: str
    params: dict[str, object]
    catalogue: Messages | None

    def __new__(cls, msgid: str, catalogue: Messages | None = None, /,
                **params: object) -> Message:
        escaped = {name: printable(value) if isinstance(value, str) else value
                   for name, value in params.items()}
        text = super().__new__(cls, _render(msgid, catalogue, escaped, "en"))
        text.msgid = msgid
        text.params = escaped
        text.catalogue = catalogue
        return text

    def text_in(self, locale: str) -> str:
        """The text in ``locale`` (``id``, ``en``), amounts and dates formatted for it."""
        return _render(self.msgid, self.catalogue, self.params, locale)

    def __reduce__(self) -> Any:
        return (_rebuild, (self.msgid, self.catalogue, self.params))


def _rebuild(msgid: str, catalogue: Messages | None, params: dict[str, object]) -> Message:
    return Message(msgid, catalogue, **params)


def _render(msgid: str, catalogue: Messages | None, params: dict[str, object],
            locale: str) -> str:
    from kopcore import _i18n

    where = (catalogue.directory, catalogue.domain) if catalogue is not None else None
    text = _i18n.translate(msgid, locale, catalogue=where)
    values = {name: value.text_in(locale) if isinstance(value, Message) else value
              for name, value in params.items()}
    try:
        return _i18n.fill(text, values, locale)
    except (KeyError, IndexError, ValueError):
        if text == msgid:
            raise  # the code's own message names a value it does not give: a bug
        # A translation that names a placeholder the msgid does not have (a vendor's typo)
        # never turns a refusal into a server error: the person reads the English text.
        return _i18n.fill(msgid, values, locale)


def message(msgid: str, /, **params: object) -> Message:
    """A message of the kernel's catalogue (``kopcore/locale``); plugins use :class:`Messages`."""
    return Message(msgid, None, **params)


def translated(text: str, locale: str, catalogue: Messages | None = None) -> str:
    """``text`` in ``locale``: a :class:`Message` translates itself; plain text is looked up as
    a msgid in ``catalogue`` and the kernel's catalogue (untranslated text stays as it is)."""
    if isinstance(text, Message):
        return text.text_in(locale)
    from kopcore import _i18n

    where = (catalogue.directory, catalogue.domain) if catalogue is not None else None
    return _i18n.translate(text, locale, catalogue=where)


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
    #: English, translated when rendered; a plugin's own title is its :class:`Messages`' call.
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

    def title_in(self, locale: str) -> str:
        """The title in ``locale``."""
        return translated(type(self).title, locale)

    def detail_in(self, locale: str) -> str:
        """The detail in ``locale`` (a detail not written as a :class:`Message` is looked up
        in the kernel's catalogue as it is)."""
        return translated(self.detail, locale)

    def to_problem(self, locale: str | None = None) -> dict[str, Any]:
        """RFC 9457 problem details document: the reserved members, then the extra ones.

        ``title`` and ``detail`` are in ``locale`` (``None``: the English msgids); every other
        member is the same in every language."""
        title, detail = (self.title, self.detail) if locale is None else (
            self.title_in(locale), self.detail_in(locale))
        return {"type": self.type_uri, "title": title, "status": self.status,
                "detail": detail, "code": self.code, **self.extra}


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
