"""Operations: one declaration becomes a web route and a CLI command.

An operation is a name (``group.action``), an attrs input class, an attrs output class, a handler
``handler(ctx, input) -> output``, the permission it requires and whether it mutates. The kernel
generates from it:

- ``GET /api/v1/<group>/<action>`` (query parameters) for reads, ``POST`` (JSON body) for
  mutations, with the ``Idempotency-Key`` header, problem+json errors and an OpenAPI schema;
- ``kopcore <group> <action> --<field> ...`` with ``--json`` output.

Both run the steps of :mod:`kopcore._invocation` through :func:`kopcore._service.invoke`, so
authorisation, validation, idempotency, maker-checker approval and the audit trail are the same
code for both interfaces.

``Operation[In, Out]`` is generic over its input class ``In`` and output class ``Out``; both are
inferred from the arguments, and the handler is checked against them. Example::

    @attrs.frozen
    class DepositInput:
        account: str = attrs.field(metadata={"help": "Account number"})
        amount: Decimal = attrs.field(metadata={"help": "Amount in rupiah"})

    def deposit(ctx: Context, data: DepositInput) -> EntryOut:
        ...

    Operation("celengan.deposit", DepositInput, EntryOut, deposit,
              permission="celengan.manage", mutates=True, account_fields=("account",))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic

import attrs
from attrs import AttrsInstance
from typing_extensions import TypeVar

from kopcore.errors import KopcoreError

if TYPE_CHECKING:
    from kopcore.context import Context

#: The input and output classes. Their defaults let a registry say plain ``Operation`` for an
#: operation of any input and output.
In = TypeVar("In", bound=AttrsInstance, default=Any)
Out = TypeVar("Out", bound=AttrsInstance, default=Any)


@attrs.frozen
class Operation(Generic[In, Out]):
    """One operation: ``handler(ctx, input) -> output`` with what the interfaces need to know.

    ``name`` is ``group.action``; ``input`` and ``output`` are attrs classes; ``permission`` is
    the permission a caller's role must hold; ``mutates`` says whether it changes anything (a
    ``POST`` route with the ``Idempotency-Key`` header, audited) or only reads (``GET``).
    """

    name: str
    input: type[In]
    output: type[Out]
    handler: Callable[[Context, In], Out]
    permission: str
    mutates: bool
    summary: str = ""
    #: Input fields that name accounts (``account``-like) or members (``member``-like) this call
    #: touches. A member principal may only call the operation about their own; an operation
    #: with no subject is refused to member principals.
    account_fields: tuple[str, ...] = ()
    member_fields: tuple[str, ...] = ()
    #: Input fields that name an office (an office code; ``None``: every office, consolidated).
    #: A caller whose role does not span offices may only name their own office or one under
    #: it (contract 1.1).
    office_fields: tuple[str, ...] = ()
    #: Member principals may call it without naming an account or member (their own profile,
    #: the business date); the handler then scopes to ``ctx.principal.member_id`` itself.
    self_service: bool = False
    #: The handler runs its own transactions through ``ctx.kernel`` (end of day): it is called
    #: inside a read-only transaction and its idempotency record and audit row are written after.
    own_transactions: bool = False
    #: The output carries a secret shown once (a new API key): no Idempotency-Key replay.
    sensitive_output: bool = False
    #: Input field holding the amount compared with the settings' approval threshold for
    #: maker-checker; ``None``: never needs a second person.
    approval_amount_field: str | None = None
    #: Errors the handler may raise, documented in the OpenAPI document.
    errors: tuple[type[KopcoreError], ...] = ()
    #: A callback from an outside system (a payment provider's webhook) authenticated by its
    #: own signature over the request body, not by an API key: the web route is deliberately
    #: public. The raw body reaches the handler as the input field ``body`` and this request
    #: header's value as ``signature``; the handler verifies the signature and refuses, changing
    #: nothing, when it does not match. The principal is ``callback`` holding only
    #: ``permission``. The CLI command takes both as options, for an operator replaying one.
    signature_header: str | None = None
    #: Output field holding a document as text (CSV, HTML). The CLI command then takes
    #: ``--output PATH``, writes the document there and prints the rest of the result.
    document_field: str | None = None
    #: The document is a file's bytes, base64-encoded (an XLSX workbook, a ZIP): the CLI
    #: writes the decoded bytes with ``--output PATH``.
    document_base64: bool = False
    #: Input field taking a file's bytes, base64-encoded (a spreadsheet to import). The CLI
    #: command takes ``--file PATH`` instead, reads the file and encodes it.
    upload_field: str | None = None
    #: Filled in by the plugin host: the plugin that declared the operation.
    plugin: str = ""

    def __attrs_post_init__(self) -> None:
        group, _, action = self.name.partition(".")
        if not group or not action or not all(
            part.replace("-", "").replace("_", "").isalnum() for part in self.name.split(".")
        ):
            raise ValueError(f"operation name {self.name!r} must be 'group.action'")
        for cls in (self.input, self.output):
            if not attrs.has(cls):
                raise TypeError(f"operation {self.name}: {cls!r} is not an attrs class")
        if self.document_field is not None and self.document_field not in {
                f.name for f in attrs.fields(self.output)}:
            raise ValueError(f"operation {self.name}: document_field {self.document_field!r} "
                             "is not a field of its output")
        if self.upload_field is not None and self.upload_field not in {
                f.name for f in attrs.fields(self.input)}:
            raise ValueError(f"operation {self.name}: upload_field {self.upload_field!r} "
                             "is not a field of its input")
        if self.signature_header is not None:
            fields = {f.name for f in attrs.fields(self.input)}
            if not self.mutates or not {"body", "signature"} <= fields:
                raise ValueError(f"operation {self.name}: a signed callback mutates and takes "
                                 "the fields 'body' and 'signature'")

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def action(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def http_method(self) -> str:
        return "POST" if self.mutates else "GET"

    @property
    def path(self) -> str:
        return "/api/v1/" + self.name.replace(".", "/")

    @property
    def route_key(self) -> str:
        return f"{self.http_method} {self.path}"

    @property
    def command_path(self) -> tuple[str, ...]:
        return tuple(part.replace("_", "-") for part in self.name.split("."))

    @property
    def description(self) -> str:
        return (self.handler.__doc__ or self.summary or "").strip()


def check_call(ctx: Context, name: str, raw: Mapping[str, Any]) -> None:
    """Check, without running it, that ``ctx.principal`` may call operation ``name`` on ``raw``
    (its input as a route receives it): the input loads, the caller's role holds the
    permission, and the records it names pass every plugin's ``kopcore_check_access`` and the
    member-scoped rule. Raises the refusal (``NotFound`` for an operation not enabled,
    ``ValidationError``, ``Forbidden``). A plugin that will run an operation later on a
    caller's behalf (a bill paid through a gateway) checks it here when the caller arranges
    it. Added in contract 1.0 (additive)."""
    from kopcore._service import check_within

    check_within(ctx, name, raw)


def call(ctx: Context, name: str, raw: Mapping[str, Any], *, caller: str) -> Any:
    """Run operation ``name`` on ``raw`` input inside ``ctx``'s transaction and return its
    JSON payload (what the route would answer).

    The call runs in a savepoint: a refusal raises its ``KopcoreError`` with nothing of the
    call written, and the caller's own writes stand, so the caller can record the refusal and
    go on. A mutation is audited in the same transaction (actor ``ctx.actor``, interface
    ``plugin:<caller>``). Neither the permission nor an approval threshold is checked here:
    ``caller`` (the calling plugin's name) takes responsibility, having checked with
    :func:`check_call` when the call was arranged. An operation that runs its own
    transactions, a signed callback or one taking a file cannot be called this way. Added in
    contract 1.0 (additive)."""
    from kopcore._service import call_within

    return call_within(ctx, name, raw, caller=caller)
