"""Built-in plugin: the cooperative's offices (kantor pusat, cabang, kas) and who works where.

``offices create`` opens a branch or a cash office (and its RAK account), ``offices move`` makes
an office report to another, ``offices assign-user`` moves a user to an office. The head office
(``KP``) exists from the start. See docs/offices.md.
"""

from __future__ import annotations

import attrs

from kopcore import _auth as auth
from kopcore import hookimpl, ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.ledger import _offices as offices
from kopcore.ledger._records import Office
from kopcore.operations import Operation
from kopcore.plugins.user_ops import MANAGE as USERS_MANAGE
from kopcore.records import PermissionSpec

READ = "offices.read"
MANAGE = "offices.manage"
OFFICE = {"help": "Office code (KP is the head office)", "max_length": 16}


@attrs.frozen
class NoInput:
    """No parameters."""


@attrs.frozen
class CreateOfficeIn:
    code: str = attrs.field(metadata={"help": "Office code, e.g. CAB01", "max_length": 16})
    name: str = attrs.field(metadata={"help": "Name, e.g. Kantor Cabang Sleman",
                                      "max_length": 200})
    kind: str = attrs.field(metadata={"help": "cabang (branch) or kas (cash office)",
                                      "max_length": 16})
    parent: str = attrs.field(default="KP", metadata={
        "help": "The office it reports to (default: the head office)", "max_length": 16})


@attrs.frozen
class MoveOfficeIn:
    office: str = attrs.field(metadata=OFFICE)
    parent: str = attrs.field(metadata={"help": "The office it reports to from now on",
                                        "max_length": 16})


@attrs.frozen
class AssignUserIn:
    username: str = attrs.field(metadata={"help": "Login name", "max_length": 64})
    office: str = attrs.field(metadata=OFFICE)


@attrs.frozen
class OfficeOut:
    code: str
    name: str
    kind: str
    parent: str | None
    rak_account: str | None


@attrs.frozen
class OfficesOut:
    offices: list[OfficeOut]


@attrs.frozen
class UserOfficeOut:
    username: str
    role: str
    office: str


def office_out(ctx: Context, office: Office) -> OfficeOut:
    parent = (offices.get_office_by_id(ctx.conn, office.parent_id).code
              if office.parent_id is not None else None)
    try:
        rak: str | None = ledger.get_account(ctx, offices.rak_account_number(office)).number
    except NotFound:  # the head office of a cooperative with no other office yet
        rak = None
    return OfficeOut(office.code, office.name, office.kind.value, parent, rak)


def create_office(ctx: Context, data: CreateOfficeIn) -> OfficeOut:
    """Open a branch (cabang) or a cash office (kas) under another office, with its RAK
    account."""
    return office_out(ctx, offices.create_office(ctx, code=data.code, name=data.name,
                                                 kind=data.kind, parent=data.parent))


def list_offices(ctx: Context, data: NoInput) -> OfficesOut:
    """Every office, the head office first, each after the office it reports to."""
    return OfficesOut([office_out(ctx, office) for office in offices.list_offices(ctx.conn)])


def move_office(ctx: Context, data: MoveOfficeIn) -> OfficeOut:
    """Make an office report to another (a cash office moving to a new branch)."""
    return office_out(ctx, offices.move_office(ctx, code=data.office, parent=data.parent))


def assign_user(ctx: Context, data: AssignUserIn) -> UserOfficeOut:
    """Move a user to an office: from their next call on, they work there."""
    office = offices.get_office(ctx.conn, data.office)
    user = auth.set_office(ctx.conn, data.username, office.id)
    return UserOfficeOut(user["username"], user["role"], office.code)


@hookimpl
def kopcore_permissions() -> tuple[PermissionSpec, ...]:
    return (PermissionSpec(READ, "See the offices", ("manager", "teller", "auditor")),
            PermissionSpec(MANAGE, "Open and move offices", ()))


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("offices.create", CreateOfficeIn, OfficeOut, create_office, permission=MANAGE,
                  mutates=True, summary="Open a branch or a cash office",
                  errors=(ValidationError, NotFound, Conflict)),
        Operation("offices.list", NoInput, OfficesOut, list_offices, permission=READ,
                  mutates=False, summary="List the offices"),
        Operation("offices.move", MoveOfficeIn, OfficeOut, move_office, permission=MANAGE,
                  mutates=True, summary="Make an office report to another",
                  errors=(ValidationError, NotFound)),
        Operation("offices.assign-user", AssignUserIn, UserOfficeOut, assign_user,
                  permission=USERS_MANAGE, mutates=True, summary="Move a user to an office",
                  errors=(NotFound,)),
    ]
