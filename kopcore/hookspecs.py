"""Hook specifications: the whole plugin contract of kopcore.

Every hook is named ``kopcore_*``. A plugin implements any subset with ``@kopcore.hookimpl``; the
kernel calls them as described in each docstring, always through
:meth:`kopcore._plugin_manager.PluginHost.call` (``ctx.kernel.plugins.call(hook, **kwargs)``):
every implementation in registration order — the kernel's built-in plugins first, then the
installed plugins by name — and, for a ``firstresult`` hook, up to the first answer.
docs/hooks.md has a section per hook, and a test per hook exercises it
(tests/test_hook_contract.py fails when either is missing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from kopcore.context import Context
    from kopcore.ledger._records import JournalEntry, Member, MemberChange, ProposedEntry
    from kopcore.operations import Operation
    from kopcore.records import (
        Access,
        DemoSeed,
        DueLines,
        DueSettlement,
        EodTask,
        EventType,
        ExitContribution,
        Finding,
        GLAccountSpec,
        HealthFigure,
        ImportSheet,
        MemberBasis,
        MemberDue,
        MigrationSource,
        NotificationChannel,
        Period,
        PermissionSpec,
        ProductType,
        RoleSpec,
        SettlementAccount,
        ShuBasis,
        UnitSpec,
        Veto,
        WebPage,
    )

hookspec = pluggy.HookspecMarker("kopcore")

# -------------------------------------------------------------------------------------------
# Declarations (called once at start-up, while the plugin registry is built)
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Add a plugin's own hook specifications, so that other plugins can extend it.

    Called once at start-up, after every plugin is registered and before the kernel checks that
    each implemented hook has a specification: a plugin offering extension points (the PPOB
    plugin's payment providers, say) calls ``pluginmanager.add_hookspecs(module)`` here, and
    plugins implementing those hooks then load instead of failing as unknown hooks. Name the
    added hooks ``kopcore_<plugin>_*`` and document them with the plugin; call them through
    ``ctx.kernel.plugins.call("kopcore_<plugin>_...", ...)`` like the kernel's own. The same
    pattern as pytest's ``pytest_addhooks``.

    :param pluginmanager: The kernel's ``pluggy.PluginManager`` (project name ``kopcore``).
    """


@hookspec
def kopcore_gl_accounts() -> Sequence[GLAccountSpec]:
    """Return the general-ledger accounts this plugin needs in the chart of accounts.

    Called once at start-up. The kernel adds them to the chart (creating the GL posting account
    ``GL-<key>`` for each), applies the operator's ``[chart.<key>]`` renumbering and renaming,
    and refuses to start when two plugins claim the same key or code, naming both.

    Example::

        @kopcore.hookimpl
        def kopcore_gl_accounts():
            return [GLAccountSpec("celengan", "2150", "Simpanan Celengan", GLType.LIABILITY)]
    """


@hookspec
def kopcore_product_types() -> Sequence[ProductType]:
    """Return the product types (kinds of member account) this plugin offers.

    Called once at start-up. Each product's ``code`` must be unique across plugins; its
    ``gl_key`` names the GL control account that member accounts of the product roll up to.

    Example::

        @kopcore.hookimpl
        def kopcore_product_types():
            return [ProductType("savings.sukarela", "Simpanan sukarela", gl_key="savings.sukarela")]
    """


@hookspec
def kopcore_migrations() -> MigrationSource | None:
    """Return this plugin's Alembic version directory and branch label, if it has tables.

    Called by ``kopcore db upgrade``, which upgrades the kernel's branch and the branch of every
    enabled plugin to their heads in one run. A plugin's first revision sets
    ``branch_labels = ("<branch>",)`` and ``depends_on = "kopcore"`` so it runs after the kernel's.
    """


@hookspec
def kopcore_operations() -> Sequence[Operation]:
    """Return the operations this plugin exposes.

    Called once at start-up. The kernel generates a web route and a CLI command from each
    :class:`kopcore.operations.Operation`, and refuses to start when two plugins declare the same
    operation name (and so the same route and command), naming both.

    Example::

        @kopcore.hookimpl
        def kopcore_operations():
            return [Operation("savings.deposit", DepositInput, EntryOutput, deposit,
                              permission="ledger.post", mutates=True)]
    """


@hookspec
def kopcore_permissions() -> Sequence[PermissionSpec]:
    """Return the permissions this plugin's operations require, with the roles holding them.

    Called once at start-up. Roles are ``admin``, ``manager``, ``teller``, ``auditor`` and
    ``member``; ``admin`` holds every permission. A permission named by two plugins is refused.
    """


@hookspec
def kopcore_demo_seed() -> Sequence[DemoSeed]:
    """Return callables that add this plugin's data to the demo cooperative.

    Called by ``kopcore demo`` after the kernel seeds members and internal accounts, in ``order``.
    Each seed receives a :class:`kopcore.context.Context` acting as the demo administrator.
    """


@hookspec
def kopcore_transaction_facts() -> Mapping[str, ColumnElement[Any]]:
    """Return scalar SQL expressions the plugin's hooks read in every posting transaction.

    Called once at start-up. Each name (``<plugin>.<what>``) maps to a scalar subquery (an
    expression returning one value, such as ``select(func.max(...)).scalar_subquery()``). The
    kernel reads every declared fact with the business date in the statement that loads each
    entry's accounts (or alone, at the first :meth:`~kopcore.context.Context.fact` call of a
    transaction outside posting), so a veto that checks a fact for every entry costs no
    statement of its own and sees it as current as the accounts. Read a fact with
    ``ctx.fact(name)``; after writing what a fact reads, call ``ctx.remember_fact(name, value)``
    or ``ctx.forget_facts()``. A name declared twice, or not ``<plugin>.<what>``, stops start-up.
    """


# -------------------------------------------------------------------------------------------
# Vetoes and posting
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_veto_entry(ctx: Context, entry: ProposedEntry) -> Veto | None:
    """Refuse a journal entry before it is posted, or return ``None`` to let it pass.

    Called inside the posting transaction for every entry (reversals included), after the
    kernel's own validation and before any account is locked. Every plugin is asked; the first
    :class:`~kopcore.records.Veto` stops the posting with
    :class:`~kopcore.errors.PostingVetoed`, carrying the veto's stable ``reason`` code and the
    plugin's name, and nothing is written.

    ``entry.source`` names who is posting, as the kernel knows it: the plugin whose operation or
    end-of-day task caused the entry (``kopcore.ledger`` for a teller's manual entry,
    ``kopcore.members`` for a member's exit), or ``python-api`` for a direct call. Rely on it,
    not on ``ctx.operation``, to tell the plugin's own postings from others'.

    :param ctx: the operation context (connection, actor, business date).
    :param entry: the entry as requested: lines with resolved accounts, memo, operation, source.

    Example::

        @kopcore.hookimpl
        def kopcore_veto_entry(ctx, entry):
            if entry.source != "celengan" and takes_money_out_of_a_celengan(entry):
                return Veto("celengan.other-plugin", "only celengan pays out of a celengan")
            return None
    """


@hookspec
def kopcore_veto_member_change(ctx: Context, member: Member | None,
                               change: MemberChange) -> Veto | None:
    """Refuse a change to a member, or return ``None`` to let it pass.

    Called inside the transaction of every registration, activation, contact change and exit
    (:func:`kopcore.ledger.register_member`, ``activate_member``, ``update_contact``,
    ``exit_member``), after the kernel's own checks and before anything is written; for an
    exit, before any plugin's ``kopcore_member_exit``. Every plugin is asked (not firstresult);
    the first :class:`~kopcore.records.Veto` stops the change with
    :class:`~kopcore.errors.MemberChangeVetoed`, carrying the veto's stable ``reason`` code and
    the plugin's name, and nothing is written. A cooperative's membership rules that several
    plugins must respect (an age limit, no exit while a guarantee is pending) live here.

    :param ctx: the operation context (connection, actor, business date).
    :param member: the member as it is now; ``None`` when registering an applicant.
    :param change: what is about to happen (:class:`~kopcore.ledger.MemberChange`): its
        ``kind`` (``register``, ``activate``, ``update-contact``, ``exit``) and the new values.

    Example::

        @kopcore.hookimpl
        def kopcore_veto_member_change(ctx, member, change):
            if change.kind is MemberChangeKind.REGISTER and change.nik is not None \
                    and age(change.nik) < 17:  # a legal entity has no NIK
                return Veto("celengan.underage", "members join from 17 years of age")
            return None
    """


@hookspec
def kopcore_after_posting(ctx: Context, entry: JournalEntry) -> None:
    """React to a posted journal entry, inside the same transaction.

    Called after the entry, its postings and the balances are written. An exception raised here
    rolls the whole posting back, so keep the work small and raise only to refuse.

    :param ctx: the operation context.
    :param entry: the posted entry with its postings (read balances with
        :func:`kopcore.ledger.get_account` if needed).
    """


@hookspec(firstresult=True)
def kopcore_settlement_account(
    ctx: Context, member: Member, purpose: str, currency: str
) -> SettlementAccount | None:
    """Name an account that can pay or receive money for ``member``.

    Lets one plugin move a member's money through another without importing it: loans asks for
    an account to disburse into (``purpose="disbursement"``) or collect from
    (``purpose="collection"``); PPOB asks for one to pay a bill from (``purpose="payment"``);
    :class:`~kopcore.records.SettlementPurpose` lists every purpose with the direction money
    moves and who answers. Stops at the first non-None result, in registration order. The
    kernel's helper :func:`kopcore.ledger.settlement_account` calls it and returns ``None``
    when no plugin answers (pay in cash instead).

    :param ctx: the operation context.
    :param member: the member whose money moves.
    :param purpose: why the account is wanted; plugins ignore purposes they do not serve.
    :param currency: the currency of the movement.
    """


# -------------------------------------------------------------------------------------------
# What members owe (collection by payroll deduction, payment gateways, ...)
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_member_dues(ctx: Context, member_ids: Sequence[int], start: date,
                        end: date) -> Sequence[MemberDue] | None:
    """Declare what the given members owe this plugin for a period.

    Called by :func:`kopcore.ledger.member_dues` (a collector building a deduction list, a
    payment gateway showing a member's bill), inside the caller's transaction; write nothing.
    Every plugin is asked (not firstresult) and the dues of all plugins are gathered. Return
    each due still unpaid that falls due on or before ``end`` — earlier ones too, as
    ``DuePriority.OVERDUE`` when their due date is before ``start`` — with the amount still
    owed, a ``kind`` and ``reference`` of your own, and ``owner`` set to your plugin's name.
    Answer for many members in a few set-based queries: a collector asks for an employer's
    whole payroll, in calls of at most 5,000 members (``member_ids`` fits one ``IN``).

    :param ctx: the operation context (read-only use).
    :param member_ids: the members asked about (ids of :class:`~kopcore.ledger.Member`).
    :param start: the period's first day: a due dated before it is overdue.
    :param end: the period's last day: dues dated after it are not asked for.

    Example::

        @kopcore.hookimpl
        def kopcore_member_dues(ctx, member_ids, start, end):
            return [MemberDue(m, "celengan", "celengan.setoran", DuePriority.OTHER,
                              amount, due, f"{account_id}:{due:%Y-%m}", account=number)
                    for m, account_id, number, amount, due in targets_due(ctx, member_ids, end)]
    """


@hookspec
def kopcore_settle_dues(ctx: Context, settlements: Sequence[DueSettlement]) -> DueLines | None:
    """Settle amounts against this plugin's dues, as lines of an entry the caller posts.

    Called by :func:`kopcore.ledger.settle_dues` with every settlement of one collection (a
    payroll batch: one entry for a whole employer); every plugin is called and takes only the
    settlements whose ``due.owner`` is its name (return ``None`` when there are none). Check
    each against your state now (raise :class:`~kopcore.errors.Conflict` when a due is paid or
    changed since it was declared, or an amount exceeds what is owed; a zero amount means the
    due was presented and not paid) and return :class:`~kopcore.records.DueLines`: the lines
    that settle them (credits to your accounts, summing to the settled amounts), the references
    you settled, and ``apply``. The kernel posts every plugin's lines and the collector's
    funding lines as ONE journal entry (vetoes see ``entry.settles_dues``), then calls each
    ``apply(ctx, entry)`` to record the settlement in your tables; a refusal anywhere leaves
    nothing written. Write nothing before ``apply``.

    :param ctx: the operation context (the collector's operation).
    :param settlements: every settlement of the collection, of every owner.

    Example::

        @kopcore.hookimpl
        def kopcore_settle_dues(ctx, settlements):
            mine = [s for s in settlements if s.due.owner == "celengan"]
            if not mine:
                return None
            lines = [PostingLine(s.due.account, Side.CREDIT, s.amount)
                     for s in mine if s.amount.is_positive()]
            return DueLines(lines, [s.due.reference for s in mine],
                            lambda ctx, entry: record_deposits(ctx, mine, entry.id))
    """


# -------------------------------------------------------------------------------------------
# Members
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_member_exit(ctx: Context, member: Member) -> ExitContribution | None:
    """Refuse a member's exit, or contribute lines to the exit settlement.

    Called by :func:`kopcore.ledger.exit_member` for an active member, after the plugins'
    ``kopcore_veto_member_change`` let the exit pass. If any plugin
    returns a refusal, the exit fails with :class:`~kopcore.errors.ExitRefused` listing every
    refusal and nothing is written. Otherwise the contributions' lines (moving balances out of
    the plugin's accounts) and a balancing line to the payout account are posted as one entry,
    the member's accounts at zero are closed and the member is marked ``left``.

    :param ctx: the operation context.
    :param member: the leaving member.
    """


# -------------------------------------------------------------------------------------------
# End of day
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_eod_tasks() -> Sequence[EodTask]:
    """Return this plugin's end-of-day tasks.

    Called once at start-up: two plugins declaring the same task name (or a name outside the
    plugin's namespace) stop start-up, naming them. The end-of-day runner runs every task for
    each business date it closes, in ``order`` then name. Each task's chunks are
    recorded as they finish, in the same transaction as the chunk's writes, so a crashed run
    resumes where it stopped and no chunk is applied twice. Write tasks as set-based SQL over
    the chunk's id range, not as a Python loop over rows.
    """


# -------------------------------------------------------------------------------------------
# Oversight (health assessment, statements for the annual members' meeting, trends)
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_health_figures(ctx: Context, as_of: date) -> Sequence[HealthFigure]:
    """Return the figures only this plugin knows, as they stood at the end of ``as_of``.

    Called by the health assessment (``health.assess``) and the trend charts
    (``charts.trends``), once per date assessed, inside a read transaction. Every plugin is
    asked and figures with the same key are added together; a ratio whose figures no plugin
    reports is shown as not available, never as zero. Read amounts from postings dated up to
    ``as_of`` (not from cached balances), so a past date gives the figures of that day.

    :param ctx: the operation context (read-only use).
    :param as_of: the business date whose end the figures describe.

    Example::

        @kopcore.hookimpl
        def kopcore_health_figures(ctx, as_of):
            return [HealthFigure("loans.outstanding", outstanding_minor(ctx, as_of))]
    """


@hookspec
def kopcore_units(ctx: Context) -> Sequence[UnitSpec]:
    """Return the units with books of their own this plugin keeps (contract 1.1).

    Called by the unit reports (``units.*``) and ``verify``, inside their transaction, so the
    GL accounts of a unit may depend on what the operator chose. Every plugin is asked (not
    firstresult); the kernel's built-in ``kopcore.units`` answers with the units of the
    settings' ``[units.<key>]`` tables (a KSU's USP). A unit key or a GL account claimed by two
    units stops the report, naming both plugins. See docs/offices.md#units-with-books-of-their-own.

    :param ctx: the operation context (read-only use).

    Example::

        @kopcore.hookimpl
        def kopcore_units(ctx):
            return [UnitSpec("syariah", "Unit Syariah", frozenset(unit_gl_keys(ctx)),
                             inter_unit_gl_keys=frozenset({"sharia.unit_funds",
                                                           "sharia.head_office_investment"}))]
    """


# -------------------------------------------------------------------------------------------
# Period and year end, SHU
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_period_end(ctx: Context, period: Period) -> None:
    """Do this plugin's month-end or year-end work for a period being closed.

    Called by ``periods close`` (``period.kind == "month"``) and ``years close``
    (``"year"``), inside the closing transaction, before the period's trial balance is
    snapshotted and (for a year) before income and expenses are closed into the current-year
    SHU. ``ctx.business_date`` is the period's last day, so entries posted here are dated in
    the period. For a year, ``ctx.operation`` is ``years.period-end``: December is already
    closed, and the entries are recorded as its late entries and counted in the year's results
    before those are closed. Every plugin is called, in registration order; raise a
    :class:`~kopcore.errors.KopcoreError` to refuse the close (nothing is written).

    :param ctx: the operation context, dated the period's last day.
    :param period: the period being closed: ``kind``, ``start`` and ``end`` dates.

    Example::

        @kopcore.hookimpl
        def kopcore_period_end(ctx, period):
            if period.kind == "month":
                post_month_end_accruals(ctx, period.end)
    """


@hookspec
def kopcore_shu_bases(ctx: Context, year_start: date, year_end: date,
                      basis: ShuBasis) -> Sequence[MemberBasis] | None:
    """Return members' bases for sharing a financial year's SHU.

    Called by ``shu draft`` once for the capital basis (``basis.kind == "capital"``, shared by
    jasa modal) and once for the patronage basis (``"patronage"``, shared by jasa usaha), with
    the method chosen in the ``[shu]`` settings in ``basis.method``. Every plugin is called;
    amounts for the same member are added across plugins. Return ``None`` (or nothing) for a
    basis or method the plugin does not serve. The savings plugin answers the capital basis
    (pokok + wajib at year end or as an average daily balance); the loans plugin answers the
    patronage basis (loan interest paid, or repayments, in the year).

    :param ctx: the operation context (read the year's figures from it).
    :param year_start: the financial year's first day.
    :param year_end: the financial year's last day.
    :param basis: which basis (:class:`~kopcore.records.ShuBasis`): ``kind`` and ``method``.

    Example::

        @kopcore.hookimpl
        def kopcore_shu_bases(ctx, year_start, year_end, basis):
            if basis.kind != "capital" or basis.method != "year-end":
                return None
            return [MemberBasis(member_id, Money(balance), "celengan")
                    for member_id, balance in balances_on(ctx, year_end)]
    """



# -------------------------------------------------------------------------------------------
# Roles and access
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_roles() -> Sequence[RoleSpec]:
    """Return the roles this plugin adds, each with the permissions it holds.

    Called once at start-up, after ``kopcore_permissions``. The kernel's own roles (``admin``,
    ``manager``, ``teller``, ``auditor`` and ``member``) are declared the same way, by its
    built-in plugin ``kopcore.users``. A role named by two plugins, or holding a permission no
    plugin declares, stops start-up naming the plugin. ``users create --role <name>`` then
    accepts the role. Its users hold the role's ``permissions`` and every permission whose
    :class:`~kopcore.records.PermissionSpec` lists the role; the users of a ``member_scoped``
    role are linked to one member and limited, like members, to that member's own accounts and
    membership (a plugin widens that for its own operations with ``kopcore_check_access``).

    Example::

        @kopcore.hookimpl
        def kopcore_roles():
            return [RoleSpec("celengan.collector", "Collects celengan deposits door to door",
                             permissions=("celengan.read", "celengan.manage"),
                             member_scoped=True)]
    """


@hookspec
def kopcore_check_access(ctx: Context, operation: Operation, data: Any) -> Access | None:
    """Allow or refuse a call on the records its input names, or return ``None``.

    Called by the authorise step of every call of every operation (API, CLI, approvals, the
    Python ``invoke``), after the caller's role was found to hold the operation's permission
    and the input was loaded, inside the call's transaction and before anything is changed.
    The kernel's office dimension (a caller whose role does not span offices uses only their
    offices' internal accounts and reports; docs/offices.md) is checked after every plugin's
    answer and is not lifted by an allowance. Every plugin is asked, not only the operation's
    (not firstresult): any
    :meth:`~kopcore.records.Access.refuse` refuses the call with ``Forbidden`` and its
    reason; an :meth:`~kopcore.records.Access.allow` from the plugin that declared
    ``operation`` lets a member-scoped caller past the kernel's own-accounts-and-membership
    check for this call (an allowance from another plugin counts for nothing). Answer only
    for the operations you know, and refuse a record that does not exist as you refuse one the
    caller may not see, so a refusal reveals nothing.

    :param ctx: the call's context; ``ctx.principal`` is the caller (username, role, member,
        permissions).
    :param operation: the operation called (``operation.plugin`` names its plugin).
    :param data: the loaded input, an instance of ``operation.input``.

    Example::

        @kopcore.hookimpl
        def kopcore_check_access(ctx, operation, data):
            if ctx.principal.role != "celengan.collector" or operation.group != "celengan":
                return None
            if operation.name not in ("celengan.deposit", "celengan.balance"):
                return Access.refuse("a collector only takes deposits and shows balances")
            saver = member_of_celengan(ctx, data.account)  # None: not a celengan
            if saver is None:
                return Access.refuse("a collector serves celengan accounts only")
            if operation.name == "celengan.deposit" and saver == ctx.principal.member_id:
                return Access.refuse("a collector's own deposits go through a teller")
            return Access.allow("a collector serves every saver's celengan")
    """


# -------------------------------------------------------------------------------------------
# Cut-over import (bringing an existing cooperative in from spreadsheets)
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_import_sheets() -> Sequence[ImportSheet]:
    """Return the sheets this plugin's records take in a cut-over import file.

    Called by the operations ``import.template``, ``import.check`` and ``import.run``. Each
    :class:`~kopcore.records.ImportSheet` names a sheet of the template (``simpanan``), its
    columns with their types and Indonesian help, a row check and a writer. ``import check``
    reads every row of every sheet, calls the sheet's ``check`` for each and reports every
    problem with its sheet, row and column, writing nothing. ``import run`` then calls each
    sheet's ``write`` in ``(order, name)`` order inside one transaction dated the cut-over
    date; the writers post opening balances through :mod:`kopcore.ledger` against
    ``run.opening_account``, and the kernel refuses the whole import unless kopcore's trial
    balance then equals the file's to the rupiah. A sheet name claimed twice stops the import,
    naming both plugins.

    Example::

        @kopcore.hookimpl
        def kopcore_import_sheets():
            return [ImportSheet("celengan", "Celengan anggota", COLUMNS, check_row, write_rows,
                                order=150)]
    """


# -------------------------------------------------------------------------------------------
# Checking the books
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_verify(ctx: Context) -> Sequence[Finding] | None:
    """Check this plugin's own records against the ledger and return what disagrees.

    Called by ``books.verify`` (``kopcore verify``) after the kernel's own checks, inside its
    read-only transaction; write nothing. Every plugin is asked. Each
    :class:`~kopcore.records.Finding` is reported as kind ``<plugin>.<finding.kind>``, an error
    that makes ``ok`` false. Compare what only the plugin records (an installment marked paid,
    a share distributed, an accrual) with the postings or balances that should stand behind
    it, in set-based SQL: verify runs on books of any size. Return an empty sequence (or
    ``None``) when all agrees.

    :param ctx: the operation context of the verify (read-only use).

    Example::

        @kopcore.hookimpl
        def kopcore_verify(ctx):
            return [Finding("goal_reached_without_target", f"goal of {number} ...", account_id)
                    for number, account_id in goals_reached_below_target(ctx)]
    """


# -------------------------------------------------------------------------------------------
# The staff web app
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_web_pages() -> Sequence[WebPage]:
    """Return the pages and dashboard panels this plugin adds to the staff web app.

    Called once at start-up, while the plugin registry is built (not firstresult: every
    plugin's pages are collected; a page name claimed by two plugins stops start-up naming
    both). Each operation of a plugin already gets a generated form and result page; a
    :class:`~kopcore.records.WebPage` is for what is not one operation: an overview, a
    worklist, a panel of figures on the home page. The web app lists a page under its plugin
    for people whose role holds its ``permission``, serves it at ``/app/pages/<name>`` and
    calls ``render(ctx, query)`` in a read-only transaction; the attrs instance it returns is
    shown like an operation's result (docs/web.md). A page changes nothing: money moves only
    through operations.

    Example::

        @kopcore.hookimpl
        def kopcore_web_pages():
            return [WebPage("celengan.overview", "Celengan", "celengan.read", overview,
                            dashboard=True)]
    """



# -------------------------------------------------------------------------------------------
# Notifications to members
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_notification_channels() -> Sequence[NotificationChannel]:
    """Return the channels through which this plugin reaches members (WhatsApp, SMS, e-mail).

    Called once at start-up, while the plugin registry is built (not firstresult: every
    plugin's channels are collected; a channel name is in the plugin's namespace, ``<plugin>``
    or ``<plugin>.<what>``, and one claimed twice stops start-up naming both). The setting
    ``notification_channel`` names the channel the cooperative uses; the kernel's own
    ``development`` channel keeps each message in the outbox table (``kopcore notify
    outbox``) instead of sending it. A member may be reached through another channel of
    their own (``notify.member-channel``). The kernel calls ``deliver(ctx, notification)``
    after the transaction that recorded the event committed, in a transaction of its own
    (docs/notifications.md): raising a ``KopcoreError`` (or any exception) there rolls back
    what the channel wrote and the event is tried again later, with the same
    ``notification.event_id``, which the channel hands its provider as the idempotency key.
    docs/member-app.md and docs/notifications.md describe writing one.

    Example::

        @kopcore.hookimpl
        def kopcore_notification_channels():
            return [NotificationChannel("wa_gateway", "WhatsApp through the gateway",
                                        send_whatsapp)]
    """


# -------------------------------------------------------------------------------------------
# The event outbox
# -------------------------------------------------------------------------------------------


@hookspec
def kopcore_event_types() -> Sequence[EventType]:
    """Return the kinds of events this plugin records in the kernel's event outbox.

    Called once at start-up, while the plugin registry is built (not firstresult: every
    plugin's event types are collected; a name is in the plugin's namespace,
    ``<plugin>.<what>``, and one claimed twice stops start-up naming both). A plugin records
    an event with :func:`kopcore.events.emit` inside the transaction that caused it (the
    posting, the end-of-day chunk), so a rolled-back operation leaves no event; the kernel
    delivers it after commit, at least once, through the member's notification channel,
    rendering the message with the type's ``render(payload)``. An event of a type no loaded
    plugin declares is refused when emitted. docs/notifications.md describes the outbox.

    Example::

        @kopcore.hookimpl
        def kopcore_event_types():
            return [EventType("celengan.deposited", "Money put into a celengan",
                              lambda p: f"Setoran celengan Rp{p['amount']} diterima.")]
    """
