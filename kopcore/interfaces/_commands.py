"""CLI commands generated from the operation registry.

``kopcore <group> <action> --<field> VALUE ...`` for every operation. Options come from the
input class's fields (help from field metadata, choices from enums, required when the field has
no default). Values go to :func:`kopcore._service.invoke` as text and are parsed by the same
converter as the API's query strings, so both interfaces validate identically. A list of objects
is given as a JSON array, or as ``@PATH``: a JSON file, or a CSV file (``.csv``) whose header
row names the fields. ``--json`` prints the API's JSON; otherwise a table. Every command acts
as an identified operator (``--operator`` or ``$KOPCORE_OPERATOR``), with that user's role.
"""

from __future__ import annotations

import base64
import csv
import enum
import json
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import click

from kopcore.interfaces._convert import fields_of, help_of, is_required, unwrap_optional
from kopcore.interfaces._render import render
from kopcore.operations import Operation


def option_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def _option(field: attrs.Attribute[Any]) -> click.Option:
    tp, _optional = unwrap_optional(field.type)
    required = is_required(field)
    help_text = help_of(field)
    if tp is bool:
        name = field.name.replace("_", "-")
        return click.Option([f"--{name}/--no-{name}", field.name], default=None,
                            help=help_text)
    click_type: Any = click.STRING
    metavar = None
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        click_type = click.Choice([str(m.value) for m in tp])
    elif tp is Decimal:
        metavar = "AMOUNT"
    elif tp is int:
        metavar = "INTEGER"
    elif getattr(tp, "__name__", "") in ("date",):
        metavar = "YYYY-MM-DD"
    elif typing.get_origin(tp) is list:
        metavar = "JSON|@FILE"
    if not required and field.default is not None and not isinstance(field.default,
                                                                    attrs.Factory):  # type: ignore[arg-type]
        help_text += f"  [default: {field.default}]"
    return click.Option([option_name(field.name), field.name], type=click_type,
                        required=required, help=help_text, metavar=metavar)


Runner = Callable[[Operation, dict[str, Any], str | None, bool], None]


def list_from_file(option: str, value: str) -> str:
    """A list option given as ``@PATH``: the file's JSON array, or a CSV file's rows (``.csv``:
    the header row names the fields, each cell is text, an empty cell leaves its field out)
    as a JSON array."""
    path = value[1:]
    try:
        with open(path, encoding="utf-8-sig", newline="") as given:
            if not path.lower().endswith(".csv"):
                return given.read()
            rows = [{k.strip(): v.strip() for k, v in row.items()
                     if k and isinstance(v, str) and v.strip()}
                    for row in csv.DictReader(given)]
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}",
                                 param_hint=option) from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{path} is not a readable CSV file: {exc}",
                                 param_hint=option) from None
    return json.dumps(rows, ensure_ascii=False)


def command_for(op: Operation, run: Runner) -> click.Command:
    """A click command for ``op``; ``run(op, raw, idempotency_key, as_json)`` executes it."""
    params: list[click.Parameter] = [_option(f) for f in fields_of(op.input)
                                     if f.name != op.upload_field]
    lists = {f.name for f in fields_of(op.input)
             if typing.get_origin(unwrap_optional(f.type)[0]) is list}
    if op.upload_field is not None:
        upload = next(f for f in fields_of(op.input) if f.name == op.upload_field)
        params.append(click.Option(
            ["--file", op.upload_field], required=is_required(upload), metavar="PATH",
            type=click.Path(exists=True, dir_okay=False, readable=True),
            help=f"The file to send ('{op.upload_field}'): read and base64-encoded"))
    if op.mutates and not op.sensitive_output:
        params.append(click.Option(
            ["--idempotency-key"], default=None,
            help="Repeat safely: the same key returns the first result instead of acting again"))
    params.append(click.Option(["--json", "as_json"], is_flag=True,
                               help="Print the result as JSON (the API's response body)"))
    if op.document_field is not None:
        params.append(click.Option(
            ["--output", "output_path"], default=None, metavar="PATH",
            type=click.Path(dir_okay=False, writable=True),
            help=f"Write the document ('{op.document_field}') to PATH instead of printing it"))

    def callback(**values: Any) -> None:
        as_json = values.pop("as_json")
        values.pop("output_path", None)
        key = values.pop("idempotency_key", None)
        raw = {k: (str(v).lower() if isinstance(v, bool) else v)
               for k, v in values.items() if v is not None}
        for name in lists.intersection(raw):
            if isinstance(raw[name], str) and raw[name].startswith("@"):
                raw[name] = list_from_file(option_name(name), raw[name])
        if op.upload_field in raw:  # the option holds the path: send the file itself
            with open(raw[op.upload_field], "rb") as sent:
                raw[op.upload_field] = base64.b64encode(sent.read()).decode("ascii")
        run(op, raw, key, as_json)

    doc = op.description or op.summary
    return OperationCommand(op, op.command_path[-1], params=params, callback=callback,
                            help=doc, short_help=op.summary or None)


class OperationCommand(click.Command):
    """A generated command, knowing the operation it runs."""

    def __init__(self, operation: Operation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.operation = operation


def _write_document(payload: Any) -> Any:
    """With ``--output PATH`` on a command whose operation returns a document: write the
    document to PATH and return the payload without it (with where it was written)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or not isinstance(ctx.command, OperationCommand):
        return payload
    operation = ctx.command.operation
    field = operation.document_field
    path = ctx.params.get("output_path")
    if field is None or path is None or not isinstance(payload, dict):
        return payload
    document = payload.get(field)
    if document is None:
        raise click.ClickException(f"this result has no document to write ('{field}' is "
                                   "empty): choose a document format")
    content = base64.b64decode(document) if operation.document_base64 else document.encode()
    try:
        with open(path, "wb") as out:
            out.write(content)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    return {**payload, field: f"written to {path} ({len(content)} bytes)"}


def add_operation_commands(root: click.Group, operations: list[Operation], run: Runner) -> None:
    """Attach one group per operation group and one command per operation."""
    for op in sorted(operations, key=lambda o: o.name):
        group_name = op.command_path[0]
        group = root.commands.get(group_name)
        if group is None:
            group = click.Group(group_name, help=f"{group_name} operations")
            root.add_command(group)
        if not isinstance(group, click.Group):
            raise click.ClickException(f"operation group {group_name} clashes with a command")
        group.add_command(command_for(op, run))


def print_outcome(payload: Any, status: int, as_json: bool) -> None:
    if 200 <= status < 300:
        payload = _write_document(payload)
    if as_json:
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if status == 202:
        click.echo(payload.get("detail", "waiting for approval"))
        return
    click.echo(render(payload))
