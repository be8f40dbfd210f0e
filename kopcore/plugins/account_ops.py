"""Built-in plugin: operations on accounts (internal accounts, status, holds, statements)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from kopcore import hookimpl, ledger
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    Conflict,
    InsufficientFunds,
    NotFound,
    ValidationError,
    message,
)
from kopcore.ledger import Account
from kopcore.ledger import _offices as offices
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.plugins.paging import page_fields
from kopcore.views import AccountOut, StatementOut

ACCOUNT = {"help": "Account number", "max_length": 64}
INTERNAL_GL_TYPES = {"asset", "liability"}


def account_out(ctx: Context, account: Account) -> AccountOut:
    member_number = None
    if account.member_id is not None:
        member_number = ledger.get_member_by_id(ctx, account.member_id).member_number
    office = offices.get_office_by_id(ctx.conn, account.office_id).code
    return AccountOut.of(account, member_number, office)


@attrs.frozen
class OpenInternalIn:
    """An internal account: a teller's cash drawer, the vault, a bank account."""

    name: str = attrs.field(metadata={"help": "Name, e.g. Kas Teller 1", "max_length": 200})
    gl_key: str = attrs.field(metadata={"help": "GL account it rolls up to (cash, vault, bank)",
                                        "max_length": 64})
    number: str | None = attrs.field(default=None, metadata={"help": "Account number",
                                                             "max_length": 64})
    floor: Decimal | None = attrs.field(
        default=Decimal(0), metadata={"help": "Lowest balance allowed (null: none)"})
    currency: str | None = attrs.field(default=None, metadata={"help": "Default: settings",
                                                               "max_length": 3})
    office: str | None = attrs.field(default=None, metadata={
        "help": "Office code (default: the office of the user opening it)", "max_length": 16})


@attrs.frozen
class AccountIn:
    account: str = attrs.field(metadata=ACCOUNT)


@attrs.frozen
class ListAccountsIn:
    member: str | None = attrs.field(default=None, metadata={"help": "Only this member's",
                                                             "max_length": 32})
    gl_key: str | None = attrs.field(default=None, metadata={"help": "Only under this GL account",
                                                             "max_length": 64})
    office: str | None = attrs.field(default=None, metadata={
        "help": "Only this office's (default: every office the caller sees)", "max_length": 16})
    after: int = attrs.field(default=0, metadata=page_fields["after"])
    limit: int = attrs.field(default=50, metadata=page_fields["limit"])


@attrs.frozen
class AccountPage:
    items: list[AccountOut]
    next_after: int | None


@attrs.frozen
class HoldIn:
    account: str = attrs.field(metadata=ACCOUNT)
    amount: Decimal = attrs.field(metadata={"help": "Amount to set aside"})
    reason: str = attrs.field(metadata={"help": "Why (shown on the account)", "max_length": 200})
    reference: str | None = attrs.field(default=None, metadata={"help": "Unique reference",
                                                                "max_length": 200})


@attrs.frozen
class HoldOut:
    hold_id: int
    account: AccountOut


@attrs.frozen
class ReleaseHoldIn:
    account: str = attrs.field(metadata=ACCOUNT)
    hold_id: int = attrs.field(metadata={"help": "Hold id", "minimum": 1, "maximum": 2**62})


@attrs.frozen
class StatementIn:
    account: str = attrs.field(metadata=ACCOUNT)
    from_date: date = attrs.field(metadata={"help": "First business date"})
    to_date: date = attrs.field(metadata={"help": "Last business date"})


@attrs.frozen
class BalanceIn:
    account: str = attrs.field(metadata=ACCOUNT)
    as_of: date | None = attrs.field(default=None,
                                     metadata={"help": "End of this business date (default: now)"})


@attrs.frozen
class BalanceOut:
    account: str
    as_of: date | None
    balance: Money
    available: Money | None


def open_internal(ctx: Context, data: OpenInternalIn) -> AccountOut:
    """Open an internal account (not a member's): teller cash, vault, bank."""
    gl = {a.value.key: a.value for a in ctx.kernel.plugins.gl_accounts.values()}.get(data.gl_key)
    if gl is None or gl.type.value not in INTERNAL_GL_TYPES:
        raise ValidationError(message("internal accounts roll up to an asset or liability GL "
                                      "account"),
                              field="gl_key")
    currency = data.currency or ctx.settings.currency
    floor = Money.parse(data.floor, currency, field="floor") if data.floor is not None else None
    return account_out(ctx, ledger.open_account(
        ctx, name=data.name, gl_key=data.gl_key, plugin="kopcore", number=data.number,
        currency=currency, floor=floor, prefix="IN", office=data.office))


def get(ctx: Context, data: AccountIn) -> AccountOut:
    """One account with balance, holds and available balance."""
    return account_out(ctx, ledger.get_account(ctx, data.account))


def list_accounts(ctx: Context, data: ListAccountsIn) -> AccountPage:
    """Accounts, optionally of one member, under one GL account or of one office, a page at a
    time. A caller whose role does not span offices sees their offices' accounts only."""
    member_id = ledger.get_member(ctx, data.member).id if data.member else None
    # A member's accounts are served at every office (docs/offices.md).
    seen = ctx.principal.offices if ctx.principal is not None and member_id is None else None
    if data.office is not None:
        one = frozenset({offices.get_office(ctx.conn, data.office).id})
        seen = one if seen is None else one & seen
    accounts = ledger.list_accounts(ctx, member_id=member_id, gl_key=data.gl_key,
                                    after=data.after, limit=data.limit, office_ids=seen)
    next_after = accounts[-1].id if len(accounts) == data.limit else None
    return AccountPage([account_out(ctx, a) for a in accounts], next_after)


def freeze(ctx: Context, data: AccountIn) -> AccountOut:
    """Freeze an account: nothing may leave it until it is unfrozen."""
    return account_out(ctx, ledger.freeze_account(ctx, data.account))


def unfreeze(ctx: Context, data: AccountIn) -> AccountOut:
    """Lift a freeze."""
    return account_out(ctx, ledger.unfreeze_account(ctx, data.account))


def close(ctx: Context, data: AccountIn) -> AccountOut:
    """Close an account at zero balance with no hold."""
    return account_out(ctx, ledger.close_account(ctx, data.account))


def hold(ctx: Context, data: HoldIn) -> HoldOut:
    """Set part of the available balance aside (blokir sebagian)."""
    account = ledger.get_account(ctx, data.account)
    amount = Money.parse(data.amount, account.currency)
    hold_id = ledger.place_hold(ctx, data.account, amount, reason=data.reason,
                                reference=data.reference)
    return HoldOut(hold_id, account_out(ctx, ledger.get_account(ctx, data.account)))


def release_hold(ctx: Context, data: ReleaseHoldIn) -> AccountOut:
    """Release a hold on this account."""
    account = ledger.get_account(ctx, data.account)
    if not any(h["id"] == data.hold_id for h in ledger.active_holds(ctx, data.account)):
        raise NotFound(message("no active hold {hold_id} on account {account}",
                               hold_id=data.hold_id, account=data.account))
    ledger.release_hold(ctx, data.hold_id)
    return account_out(ctx, ledger.get_account(ctx, account.number))


def statement(ctx: Context, data: StatementIn) -> StatementOut:
    """Postings between two business dates with opening, running and closing balances."""
    s = ledger.statement(ctx, data.account, data.from_date, data.to_date)
    return s


def balance(ctx: Context, data: BalanceIn) -> BalanceOut:
    """Balance now (with available) or at the end of a past business date."""
    if data.as_of is None:
        account = ledger.get_account(ctx, data.account)
        return BalanceOut(account.number, None, account.balance, account.available)
    return BalanceOut(data.account, data.as_of,
                      ledger.balance_as_of(ctx, data.account, data.as_of), None)


@hookimpl
def kopcore_operations() -> list[Operation]:
    own = ("account",)
    return [
        Operation("accounts.open-internal", OpenInternalIn, AccountOut, open_internal,
                  permission="accounts.manage", mutates=True,
                  summary="Open a teller, vault or bank account",
                  errors=(ValidationError, NotFound, Conflict)),
        Operation("accounts.get", AccountIn, AccountOut, get, permission="accounts.read",
                  mutates=False, summary="Show an account", errors=(NotFound,), account_fields=own),
        Operation("accounts.list", ListAccountsIn, AccountPage, list_accounts,
                  permission="accounts.read", mutates=False, summary="List accounts",
                  member_fields=("member",), errors=(NotFound,)),
        Operation("accounts.freeze", AccountIn, AccountOut, freeze,
                  permission="accounts.manage", mutates=True, summary="Freeze an account",
                  errors=(NotFound, Conflict, AccountClosed)),
        Operation("accounts.unfreeze", AccountIn, AccountOut, unfreeze,
                  permission="accounts.manage", mutates=True, summary="Unfreeze an account",
                  errors=(NotFound, Conflict, AccountClosed)),
        Operation("accounts.close", AccountIn, AccountOut, close, permission="accounts.manage",
                  mutates=True, summary="Close an account at zero",
                  errors=(NotFound, Conflict, AccountClosed)),
        Operation("accounts.hold", HoldIn, HoldOut, hold, permission="accounts.manage",
                  mutates=True, summary="Hold part of the balance",
                  errors=(NotFound, InsufficientFunds, AccountClosed, ValidationError, Conflict)),
        Operation("accounts.release-hold", ReleaseHoldIn, AccountOut, release_hold,
                  permission="accounts.manage", mutates=True, summary="Release a hold",
                  errors=(NotFound,)),
        Operation("accounts.statement", StatementIn, StatementOut, statement,
                  permission="accounts.read", mutates=False, summary="Account statement",
                  errors=(NotFound, ValidationError), account_fields=own),
        Operation("accounts.balance", BalanceIn, BalanceOut, balance,
                  permission="accounts.read", mutates=False, summary="Balance now or as of a date",
                  errors=(NotFound,), account_fields=own),
    ]
