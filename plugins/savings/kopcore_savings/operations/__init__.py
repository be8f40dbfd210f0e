"""The savings operations: attrs input/output classes and their handlers, by subject.

The kernel turns each :class:`~kopcore.operations.Operation` into ``/api/v1/savings/<action>``
and ``kopcore savings <action>``. Amounts come in as ``Decimal`` major units; member principals
reach only their own accounts (``account_fields``/``member_fields``).
"""

from __future__ import annotations

from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    Conflict,
    InsufficientFunds,
    MemberNotActive,
    NotFound,
    NotWithdrawable,
    PostingVetoed,
    ValidationError,
)
from kopcore.operations import Operation
from kopcore.views import EntryOut
from kopcore_savings import chart
from kopcore_savings.operations.accounts import (
    AccountIn,
    CloseIn,
    CloseOut,
    MoveIn,
    OpenIn,
    ReactivateIn,
    RecipientOut,
    TransferIn,
    balance,
    close,
    deposit,
    open_account,
    reactivate_account,
    recipient,
    transfer,
    withdraw,
)
from kopcore_savings.operations.common import SavingsAccountOut
from kopcore_savings.operations.exit_refunds import (
    ExitPreviewIn,
    ExitPreviewOut,
    PolicyGetIn,
    PolicyOut,
    PolicySetIn,
    RatHeldIn,
    RefundsIn,
    RefundsOut,
    RefundsPaidOut,
    RefundsPayIn,
    exit_preview,
    policy_get,
    policy_set,
    rat_held,
    refunds,
    refunds_pay,
)
from kopcore_savings.operations.products import (
    ProductCreateIn,
    ProductListIn,
    ProductOut,
    ProductsOut,
    ProductTaxIn,
    product_create,
    product_list,
    product_set_tax,
)
from kopcore_savings.operations.tax import (
    ExemptionAddIn,
    ExemptionEndIn,
    ExemptionOut,
    ExemptionsIn,
    ExemptionsOut,
    TaxRecapIn,
    TaxRecapOut,
    exemption_add,
    exemption_end,
    exemptions,
    tax_recap,
)
from kopcore_savings.operations.time_deposits import (
    DepositOut,
    DepositWithdrawIn,
    PlaceDepositIn,
    deposit_get,
    deposit_mature,
    deposit_withdraw,
    place_deposit,
)
from kopcore_savings.operations.wajib import (
    ArrearsIn,
    ArrearsOut,
    BillIn,
    BillOut,
    wajib_arrears,
    wajib_bill,
)

POSTING = (NotFound, ValidationError, AccountClosed, AccountFrozen, InsufficientFunds,
           PostingVetoed)
OWN = ("account",)


def _op(name: str, inp: type, out: type, handler: object, permission: str, *,
        mutates: bool, summary: str, **extra: object) -> Operation:
    return Operation(f"savings.{name}", inp, out, handler, permission=permission,  # type: ignore[arg-type]
                     mutates=mutates, summary=summary, **extra)  # type: ignore[arg-type]


OPERATIONS: tuple[Operation, ...] = (
    _op("product-create", ProductCreateIn, ProductOut, product_create, chart.MANAGE,
        mutates=True, summary="Configure a savings product",
        errors=(ValidationError, NotFound, Conflict)),
    _op("product-list", ProductListIn, ProductsOut, product_list, chart.READ, mutates=False,
        summary="List savings products", self_service=True),
    _op("product-set-tax", ProductTaxIn, ProductOut, product_set_tax, chart.MANAGE,
        mutates=True, summary="Change a product's withholding tax from a month",
        errors=(ValidationError, NotFound)),
    _op("open", OpenIn, SavingsAccountOut, open_account, chart.TRANSACT, mutates=True,
        summary="Open a savings account", member_fields=("member",),
        errors=(NotFound, ValidationError, Conflict, MemberNotActive)),
    _op("deposit", MoveIn, EntryOut, deposit, chart.TRANSACT, mutates=True,
        summary="Deposit into a savings account", account_fields=OWN,
        approval_amount_field="amount", errors=(*POSTING, Conflict)),
    _op("withdraw", MoveIn, EntryOut, withdraw, chart.TRANSACT, mutates=True,
        summary="Withdraw from sukarela", account_fields=OWN, approval_amount_field="amount",
        errors=(*POSTING, NotWithdrawable)),
    _op("transfer", TransferIn, EntryOut, transfer, chart.TRANSFER, mutates=True,
        summary="Transfer to a member's savings account", account_fields=("from_account",),
        approval_amount_field="amount", errors=(*POSTING, NotWithdrawable, Conflict)),
    _op("recipient", AccountIn, RecipientOut, recipient, chart.TRANSFER, mutates=False,
        summary="Whose savings account receives a transfer", self_service=True,
        errors=(NotFound,)),
    _op("balance", AccountIn, SavingsAccountOut, balance, chart.READ, mutates=False,
        summary="Balance of a savings account", account_fields=OWN, errors=(NotFound,)),
    _op("close", CloseIn, CloseOut, close, chart.TRANSACT, mutates=True,
        summary="Close a sukarela account", errors=(*POSTING, NotWithdrawable, Conflict)),
    _op("reactivate", ReactivateIn, SavingsAccountOut, reactivate_account, chart.MANAGE,
        mutates=True, summary="Reactivate a dormant account", errors=(NotFound, Conflict)),
    _op("wajib-bill", BillIn, BillOut, wajib_bill, chart.MANAGE, mutates=True,
        summary="Bill a month of simpanan wajib", errors=(NotFound, ValidationError)),
    _op("wajib-arrears", ArrearsIn, ArrearsOut, wajib_arrears, chart.READ, mutates=False,
        summary="Simpanan wajib arrears", member_fields=("member",),
        errors=(NotFound, ValidationError)),
    _op("place-deposit", PlaceDepositIn, DepositOut, place_deposit, chart.TRANSACT,
        mutates=True, summary="Place a time deposit", member_fields=("member",),
        approval_amount_field="amount", errors=(*POSTING, NotWithdrawable, MemberNotActive)),
    _op("deposit-get", AccountIn, DepositOut, deposit_get, chart.READ, mutates=False,
        summary="Show a time deposit", account_fields=OWN, errors=(NotFound, ValidationError)),
    _op("deposit-withdraw", DepositWithdrawIn, EntryOut, deposit_withdraw, chart.TRANSACT,
        mutates=True, summary="Withdraw a time deposit", errors=(*POSTING, Conflict)),
    _op("deposit-mature", AccountIn, DepositOut, deposit_mature, chart.MANAGE, mutates=True,
        summary="Settle a matured time deposit", errors=(*POSTING, Conflict)),
    _op("tax-recap", TaxRecapIn, TaxRecapOut, tax_recap, chart.READ, mutates=False,
        summary="Withholding tax on interest of a month (recap, or one member's slip)",
        member_fields=("member",), self_service=True, errors=(NotFound, ValidationError),
        document_field="document"),
    _op("tax-exemptions", ExemptionsIn, ExemptionsOut, exemptions, chart.READ, mutates=False,
        summary="Legal-entity members paid interest without PPh 23 withheld",
        errors=(NotFound,)),
    _op("tax-exemption-add", ExemptionAddIn, ExemptionOut, exemption_add, chart.MANAGE,
        mutates=True, summary="Record a bank or an SKB: no PPh 23 withheld",
        errors=(ValidationError, NotFound)),
    _op("tax-exemption-end", ExemptionEndIn, ExemptionOut, exemption_end, chart.MANAGE,
        mutates=True, summary="Set the last payment date a tax exemption covers",
        errors=(ValidationError, NotFound, Conflict)),
    _op("policy-get", PolicyGetIn, PolicyOut, policy_get, chart.READ, mutates=False,
        summary="The savings policy: exit refunds and tax aggregation"),
    _op("policy-set", PolicySetIn, PolicyOut, policy_set, chart.MANAGE, mutates=True,
        summary="Change the savings policy (AD/ART)", errors=(ValidationError,)),
    _op("exit-preview", ExitPreviewIn, ExitPreviewOut, exit_preview, chart.READ,
        mutates=False, summary="What a member's exit would refund now and what is deferred",
        member_fields=("member",), errors=(NotFound, ValidationError)),
    _op("exit-refunds", RefundsIn, RefundsOut, refunds, chart.READ, mutates=False,
        summary="Refunds still owed to former members", errors=(NotFound,)),
    _op("exit-refunds-pay", RefundsPayIn, RefundsPaidOut, refunds_pay, chart.TRANSACT,
        mutates=True, summary="Pay the refunds due to former members",
        errors=(*POSTING,)),
    _op("exit-refunds-rat", RatHeldIn, RefundsOut, rat_held, chart.MANAGE, mutates=True,
        summary="Record the RAT: refunds waiting for it fall due",
        errors=(ValidationError,)),
)
