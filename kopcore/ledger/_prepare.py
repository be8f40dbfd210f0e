"""Preparing an entry: the one step every journal entry takes before it is written, posted alone
(:func:`kopcore.ledger.post_entry`) or in a batch (:func:`kopcore.ledger.post_entries`).

:func:`prepare_entry` checks the entry against the posting rules (:mod:`kopcore.ledger._rules`),
resolves its accounts, adds the RAK lines of an entry between offices
(:func:`kopcore.ledger._offices.inter_office_lines`), names its source (:func:`entry_source`)
and asks every plugin's ``kopcore_veto_entry``. The :class:`PreparedEntry` it returns is what
the writes take: the entry as the vetoes accepted it, its postings with resolved account ids
and offices, the journal row and the posted :class:`~kopcore.ledger._records.JournalEntry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import attrs

from kopcore.context import Context
from kopcore.errors import PostingVetoed
from kopcore.ledger import _rules as rules
from kopcore.ledger._accounts import get_accounts
from kopcore.ledger._integrity import PostingKey, digest_for
from kopcore.ledger._offices import inter_office_lines
from kopcore.ledger._records import Account, JournalEntry, PostingView, ProposedEntry
from kopcore.money import Money
from kopcore.records import Veto

if TYPE_CHECKING:
    from kopcore._plugin_manager import PluginHost

#: The source of an entry that no plugin's operation, end-of-day task or demo seed explains: a
#: direct call from Python (a script, a test, a ``kernel.write`` under a name of its own).
PYTHON_API = "python-api"


@lru_cache(maxsize=8)  # one plugin host per running kernel
def _source_table(plugins: PluginHost) -> dict[str, str]:
    """Operation name → plugin, for every name the kernel runs a plugin's work under."""
    table = {name: claimed.plugin for name, claimed in plugins.operations.items()}
    for claimed in plugins.eod_tasks.values():
        table.setdefault(claimed.value.operation, claimed.plugin)
    for plugin, seeds in plugins.call("kopcore_demo_seed"):
        for seed in seeds:
            table.setdefault(seed.operation, plugin)
    return table


def entry_source(ctx: Context) -> str:
    """The plugin whose work ``ctx`` runs: the plugin that declared the operation
    ``ctx.operation`` names (the kernel's operations belong to its built-in plugins, such as
    ``kopcore.ledger`` for ``entries.post``), the plugin of the end-of-day task (``eod.<task>``)
    or demo seed (``demo.<seed>``) it names; otherwise :data:`PYTHON_API`.

    The API and the CLI only ever run declared operations, so no request can pass itself off
    as another plugin's. Work a plugin does inside a hook called by another plugin's operation
    (a month's close, an after-posting reaction) is attributed to that operation's plugin."""
    return _source_table(ctx.kernel.plugins).get(ctx.operation, PYTHON_API)


@attrs.frozen
class PreparedEntry:
    """An entry that passed the posting rules and every veto, ready to be written."""

    #: The entry as the vetoes accepted it (accounts as read before the entry).
    entry: ProposedEntry
    #: ``(account id, signed minor amount, currency)`` of each line, in line order.
    postings: list[PostingKey]
    #: The office of each line (its account's), in line order.
    offices: list[int]

    def posting_values(self) -> list[tuple[int, int, str, int]]:
        """The postings rows without their entry id: ``(account id, signed amount, currency,
        office id)``."""
        return [(*posting, office)
                for posting, office in zip(self.postings, self.offices, strict=True)]

    def rows(self, entry_id: int) -> list[tuple[int, int, int, str, int]]:
        """The postings rows: ``(entry id, account id, signed amount, currency, office id)``."""
        return [(entry_id, *values) for values in self.posting_values()]

    def row(self, ctx: Context, *, created_at: datetime, idempotency_key: str | None = None,
            request_digest: str = "-") -> dict[str, Any]:
        """The journal row to insert (:data:`kopcore.ledger._writes.ENTRY_COLUMNS`), with its
        integrity digest. ``request_digest`` is compared by idempotent replays only."""
        entry = self.entry
        row = {"business_date": entry.business_date, "memo": entry.memo, "actor": ctx.actor,
               "operation": entry.operation, "source": entry.source,
               "idempotency_key": idempotency_key, "request_digest": request_digest,
               "reverses_entry_id": entry.reverses_entry_id, "created_at": created_at}
        row["digest"] = digest_for(ctx, row, self.postings)
        return row

    def posted(self, entry_id: int, row: Mapping[str, Any]) -> JournalEntry:
        """The entry as posted under ``entry_id`` from its journal ``row``."""
        entry = self.entry
        return JournalEntry(
            id=entry_id, business_date=entry.business_date, memo=entry.memo, actor=row["actor"],
            operation=entry.operation, source=entry.source,
            idempotency_key=row["idempotency_key"], reverses_entry_id=entry.reverses_entry_id,
            created_at=row["created_at"],
            postings=[PostingView(account_id, line.account, Money.stored(amount, currency),
                                  office_id)
                      for line, (account_id, amount, currency), office_id
                      in zip(entry.lines, self.postings, self.offices, strict=True)],
        )


def prepare_entry(ctx: Context, lines: rules.CheckedLines, memo: str, *,
                  reverses_entry_id: int | None = None,
                  accounts: Mapping[str, Account] | None = None,
                  settles_dues: bool = False) -> PreparedEntry:
    """Check an entry and ask the plugins, writing nothing.

    ``lines`` come from :func:`kopcore.ledger._rules.check_shape`. The entry's accounts are read
    with the transaction's facts, or taken from ``accounts`` when the caller already read (and
    locked) them, as a batch does. Raises the typed error of the first rule broken
    (:class:`~kopcore.errors.NotFound` for an unknown account), or
    :class:`~kopcore.errors.PostingVetoed` with the reason code and name of the first plugin
    that vetoes. Balances and floors are not checked here: they are checked where the balances
    are locked."""
    rules.check_entry(lines, memo)
    numbers = {line.account for line in lines}
    found = (get_accounts(ctx, numbers, with_facts=True) if accounts is None
             else {number: accounts[number] for number in numbers})
    rules.check_against_accounts(lines, found)
    if len({account.office_id for account in found.values()}) > 1:
        lines, found = inter_office_lines(ctx, lines, found,  # type: ignore[assignment]
                                          known=accounts)
    entry = ProposedEntry(
        lines=lines, accounts=found, memo=memo, operation=ctx.operation,
        source=entry_source(ctx), business_date=ctx.business_date,
        reverses_entry_id=reverses_entry_id, settles_dues=settles_dues,
    )
    for plugin, veto in ctx.kernel.plugins.call("kopcore_veto_entry", ctx=ctx, entry=entry):
        if isinstance(veto, Veto):
            raise PostingVetoed(veto.message, reason=veto.reason, plugin=plugin)
    return PreparedEntry(entry, [(found[line.account].id, line.signed_minor,
                                  line.amount.currency) for line in lines],
                         [found[line.account].office_id for line in lines])
