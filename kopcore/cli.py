"""The ``kopcore`` command: built-in commands plus one command per operation.

Built-in: ``init``, ``db upgrade``, ``db heads``, ``serve``, ``demo``, ``plugins``,
``verify``. Generated: ``kopcore <group> <action>`` for every operation of every enabled plugin
(see docs/cli.md). Settings come from ``--settings`` / ``$KOPCORE_SETTINGS`` / ``./kopcore.toml``.
Messages are in Indonesian unless ``--lang en`` / ``$KOPCORE_LANGUAGE`` / the ``language``
setting says otherwise (docs/i18n.md).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from kopcore import __version__
from kopcore._i18n import DEFAULT_LOCALE, LOCALES, gettext
from kopcore._plugin_manager import PluginHost
from kopcore.errors import ConfigurationError, KopcoreError, PluginError, message
from kopcore.interfaces import _edge as edge
from kopcore.interfaces._commands import add_operation_commands, print_outcome
from kopcore.interfaces._logs import redact_handlers
from kopcore.operations import Operation
from kopcore.settings import Settings

log = logging.getLogger("kopcore.cli")


class Session:
    """Lazily started kernel for one CLI invocation."""

    def __init__(self, settings: Settings, plugins: PluginHost) -> None:
        self.settings = settings
        self.plugins = plugins
        self._kernel: Any = None

    def kernel(self) -> Any:
        if self._kernel is None:
            self._kernel = start_kernel(self.settings, self.plugins)
        return self._kernel


def start_kernel(settings: Settings, plugins: PluginHost, *, migrate: bool = False) -> Any:
    """A kernel running the plugin set the commands were built from (``Kernel.start`` would
    load the set named in the settings, which differs when ``make_cli`` is given one)."""
    from kopcore.kernel import Kernel

    return Kernel.start(settings, plugins=plugins, migrate=migrate)


def _operator(explicit: str | None) -> str:
    name = explicit or os.environ.get("KOPCORE_OPERATOR")
    if not name:
        raise click.UsageError(gettext(
            "who is acting? pass --operator USERNAME (or set KOPCORE_OPERATOR); "
            "every command runs as an identified user", _language()))
    edge.check_text((name,), message("the operator's name"))
    return name


def _language() -> str:
    """The language chosen for this invocation (``--lang``, ``$KOPCORE_LANGUAGE``, the
    ``language`` setting, Indonesian)."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    if isinstance(obj, dict) and obj.get("language"):
        return str(obj["language"])
    return _environment_language() or DEFAULT_LOCALE


def _environment_language() -> str | None:
    chosen = os.environ.get("KOPCORE_LANGUAGE")
    return chosen if chosen in LOCALES else None


def interactive() -> bool:
    """Whether someone at a terminal can answer a question."""
    return sys.stdin.isatty()


def _progress_bar() -> Any:
    bars: dict[str, Any] = {}

    def progress(label: str, done: int, total: int) -> None:
        bar = bars.get(label)
        if bar is None:
            bar = click.progressbar(length=total, label=f"{label:<24}", show_pos=True)
            bar.__enter__()
            bars[label] = bar
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return progress


def make_cli(settings: Settings | None = None, plugins: PluginHost | None = None) -> click.Group:
    """Build the CLI for a settings and plugin set (tests build it with any plugin set)."""
    settings = settings or Settings.load()
    plugins = plugins or PluginHost.load(settings.plugins)
    session = Session(settings, plugins)

    @click.group(context_settings={"help_option_names": ["-h", "--help"],
                                   "max_content_width": 100})
    @click.version_option(__version__, prog_name="kopcore")
    @click.option("--settings", "settings_path", metavar="PATH",
                  help="Settings file (default: $KOPCORE_SETTINGS or ./kopcore.toml)")
    @click.option("--operator", envvar="KOPCORE_OPERATOR", metavar="USERNAME",
                  help="The user acting (or $KOPCORE_OPERATOR); required for operations")
    @click.option("--lang", "language", type=click.Choice(LOCALES), default=None,
                  help="Language of messages: id (Indonesian) or en (English); default "
                       "$KOPCORE_LANGUAGE, else the language setting, else id")
    @click.option("--tenant", "tenant", envvar="KOPCORE_TENANT", metavar="SLUG",
                  help="On a platform (tenant_registry_url set): the cooperative the command "
                       "runs on (or $KOPCORE_TENANT)")
    @click.pass_context
    def root(ctx: click.Context, settings_path: str | None, operator: str | None,
             language: str | None, tenant: str | None) -> None:
        """kopcore: core banking for cooperatives (koperasi)."""
        ctx.obj = {"operator": operator, "language": language or settings.language}

    def run(op: Operation, raw: dict[str, Any], key: str | None, as_json: bool) -> None:
        from kopcore._auth import principal_for
        from kopcore._service import invoke

        operator = _operator(click.get_current_context().find_root().obj["operator"])
        kernel = session.kernel()
        principal = kernel.db.read(lambda conn: principal_for(conn, kernel.plugins, operator))
        outcome = invoke(kernel, op, raw, principal, interface="cli", idempotency_key=key,
                         from_text=True,
                         progress=None if as_json or not op.own_transactions
                         else _progress_bar())
        print_outcome(outcome.payload, outcome.status, as_json)

    add_operation_commands(root, [c.value for c in plugins.operations.values()], run)
    events = root.commands.get("events")
    if isinstance(events, click.Group):
        from kopcore._events import work_command

        events.add_command(work_command(session.kernel))

    @root.command("verify")
    @click.option("--seal", is_flag=True,
                  help="Seal the entries posted since the last seal first (books seal)")
    @click.option("--digests/--no-digests", default=True, show_default=True,
                  help="Check every entry's digest and the seal chain too")
    @click.option("--expect-seal", type=int, default=None, metavar="N",
                  help="Seal number recorded earlier outside the database")
    @click.option("--expect-chain", default=None, metavar="HEX",
                  help="Chain value recorded with that seal")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
    def verify(seal: bool, digests: bool, expect_seal: int | None, expect_chain: str | None,
               as_json: bool) -> None:
        """Check the books and the journal's tamper evidence (books verify); exits with
        status 1 when anything is wrong. See docs/integrity.md."""
        from kopcore._auth import principal_for
        from kopcore._service import invoke

        operator = _operator(click.get_current_context().find_root().obj["operator"])
        kernel = session.kernel()
        principal = kernel.db.read(lambda conn: principal_for(conn, kernel.plugins, operator))
        if seal:
            sealed = invoke(kernel, plugins.operations["books.seal"].value, {}, principal,
                            interface="cli", from_text=True)
            if not as_json:
                print_outcome(sealed.payload, sealed.status, False)
        raw = {"digests": str(digests).lower()}
        if expect_seal is not None:
            raw["expect_seal"] = str(expect_seal)
        if expect_chain is not None:
            raw["expect_chain"] = expect_chain
        outcome = invoke(kernel, plugins.operations["books.verify"].value, raw, principal,
                         interface="cli", from_text=True)
        print_outcome(outcome.payload, outcome.status, as_json)
        if not outcome.payload["ok"]:
            sys.exit(1)

    from kopcore._tenants.commands import add_tenant_commands

    add_tenant_commands(root, settings, _language)

    @root.command("plugins")
    def plugins_command() -> None:
        """List loaded plugins with versions and what each contributes."""
        rows = []
        for p in plugins.loaded:
            products = [c for c, v in plugins.products.items() if v.plugin == p.name]
            ops = [n for n, v in plugins.operations.items() if v.plugin == p.name]
            gl = [k for k, v in plugins.gl_accounts.items() if v.plugin == p.name]
            rows.append({"plugin": p.name, "version": p.version,
                         "kind": "built-in" if p.builtin else "installed",
                         "products": len(products), "operations": len(ops),
                         "gl_accounts": len(gl)})
        from kopcore.interfaces._render import table

        click.echo(table(rows))

    @root.group("db")
    def db() -> None:
        """Database schema."""

    @db.command("upgrade")
    def db_upgrade() -> None:
        """Create or upgrade the kernel's tables and every enabled plugin's."""
        kernel = start_kernel(settings, plugins, migrate=True)
        from kopcore._db.migrate import current_heads

        click.echo(f"database at revision(s): {', '.join(current_heads(kernel))}")

    @db.command("heads")
    def db_heads() -> None:
        """Show the database's current migration revisions."""
        from kopcore._db.migrate import current_heads

        click.echo(", ".join(current_heads(session.kernel())) or "(empty database)")

    @root.command("init")
    @click.option("--admin", "admin_name", default="admin", show_default=True,
                  help="Username of the first administrator")
    @click.option("--name", "cooperative_name", default=None, metavar="NAME",
                  help="The cooperative's name, as its reports print it (asked at a terminal; "
                       "required otherwise)")
    @click.option("--plugins", "plugin_names", default=None, metavar="NAMES",
                  help="Comma-separated plugins to enable (default: every installed product "
                       "plugin, never a test fixture)")
    def init(admin_name: str, cooperative_name: str | None, plugin_names: str | None) -> None:
        """Record the cooperative's name and plugins in the settings file, create the database
        and the first administrator; prints their API key once."""
        from kopcore import _auth as auth
        from kopcore._initialise import record_settings, settings_file

        ask = (lambda: str(click.prompt("The cooperative's name"))) if interactive() else None
        chosen, added = record_settings(settings, name=cooperative_name, plugins=plugin_names,
                                        ask_name=ask)
        if added:
            click.echo(f"{settings_file(settings)}: recorded {', '.join(added)}")
        kernel = start_kernel(chosen, PluginHost.load(chosen.plugins), migrate=True)

        def bootstrap(ctx: Any) -> str:
            if auth.list_users(ctx.conn):
                raise ConfigurationError("users already exist; use `kopcore users create`")
            auth.create_user(ctx.conn, admin_name, "admin")
            return auth.issue_key(ctx.conn, admin_name, "created by kopcore init")[1]

        key = kernel.write("system", bootstrap, operation="init")
        enabled = ", ".join(chosen.plugins or ()) or "none"
        click.echo(f"{chosen.cooperative_name} (plugins: {enabled}): administrator "
                   f"{admin_name} created. API key (shown once):\n{key}")

    @root.command("serve")
    @click.option("--host", default=None, help="Address to listen on (default: settings)")
    @click.option("--port", type=int, default=None, help="Port (default: settings)")
    @click.option("--workers", type=int, default=1, show_default=True,
                  help="Worker processes (the API is stateless; scale out freely)")
    def serve(host: str | None, port: int | None, workers: int) -> None:
        """Serve the web API with uvicorn on the configured database; on a platform
        (tenant_registry_url set, no --tenant), every cooperative of its registry."""
        from kopcore.interfaces.asgi import serve as run_server

        if settings.tenant_registry_url and not click.get_current_context().find_root() \
                .params.get("tenant"):
            from kopcore._tenants.commands import open_registry

            open_registry(settings).close()  # fail fast when the registry cannot be read
        else:
            session.kernel()  # fail fast on configuration errors, in this process
        run_server(settings, host or settings.api_host, port or settings.api_port, workers)

    @root.command("demo")
    @click.option("--database", default="sqlite:///kopcore-demo.db", show_default=True,
                  help="Where the demo cooperative lives (recreated each run)")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", type=int, default=8000, show_default=True)
    @click.option("--no-serve", is_flag=True, help="Seed only; do not start the server")
    @click.option("--plugins", "plugin_names", default=None, metavar="NAMES",
                  help="Comma-separated plugins to enable (default: every installed product "
                       "plugin, never a test fixture)")
    @click.option("--months", type=click.IntRange(0, 12), default=None, metavar="N",
                  help="Months of business history to play through from January 2026, end of "
                       "day every day (default 11: to December; 0: the seed only)")
    def demo(database: str, host: str, port: int, no_serve: bool,
             plugin_names: str | None, months: int | None) -> None:
        """Create a demo cooperative (SQLite, seeded data and a year of history) and serve its
        web app and API."""
        from kopcore._demo import DEMO_MONTHS, create_demo, demo_member, demo_password

        chosen = None if plugin_names is None else tuple(
            name for name in plugin_names.split(",") if name)
        if months is None:
            months = DEMO_MONTHS
        if months:
            click.echo(f"Playing through {months} months of business (end of day every day) ...")
        demo_settings, keys = create_demo(database, chosen, months=months)
        enabled = ", ".join(demo_settings.plugins or ()) or "none"
        click.echo(f"Demo cooperative '{demo_settings.cooperative_name}' seeded in {database} "
                   f"(plugins: {enabled})")
        click.echo(f"Web app: http://{host}:{port}/app/ — log in as:")
        for username in keys:
            click.echo(f"  {username:<8} password: {demo_password(username)}")
        for username, key in keys.items():
            click.echo(f"  {username:<8} API key: {key}")
        plugin_list = ",".join(demo_settings.plugins or ())
        cli_prefix = (f"KOPCORE_DATABASE_URL={database} KOPCORE_PLUGINS={plugin_list} "
                      "KOPCORE_OPERATOR=admin kopcore")
        click.echo(f"CLI: {cli_prefix} ...")
        number, phone = demo_member(demo_settings)
        click.echo(f"Member app: http://{host}:{port}/anggota/ — member number {number} (or "
                   f"phone {phone}); the one-time code is not sent but kept in the outbox: "
                   f"{cli_prefix} notify outbox --member {number}")
        if no_serve:
            return
        from kopcore.interfaces.asgi import serve as run_server

        click.echo(f"Web app: http://{host}:{port}/app/   API docs: http://{host}:{port}/docs"
                   "   (Ctrl+C to stop)")
        run_server(demo_settings, host, port, 1)

    return root


def _fail(message: str, code: int, locale: str = DEFAULT_LOCALE) -> NoReturn:
    click.echo(f"{gettext('Error', locale)}: {message}", err=True)
    sys.exit(code)


def _language_from_argv(argv: Sequence[str]) -> str | None:
    """``--lang`` as given on the command line (before click reads it), when it is ours."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1] if argv[index + 1] in LOCALES else None
        if arg.startswith("--lang="):
            chosen = arg.split("=", 1)[1]
            return chosen if chosen in LOCALES else None
    return None


def problem_text(exc: KopcoreError, locale: str) -> str:
    """An error as the CLI prints it: ``title [code]: detail``, then the extra members."""
    extra = "".join(f"\n  {k}: {v}" for k, v in exc.extra.items())
    return f"{exc.title_in(locale)} [{exc.code}]: {exc.detail_in(locale)}{extra}"


def _option_from_argv(argv: Sequence[str], name: str) -> str | None:
    """A root option's value as given on the command line, before click reads it."""
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _settings_from_argv(argv: Sequence[str]) -> Settings:
    """The settings file named by ``--settings``; with ``--tenant SLUG`` (or
    ``$KOPCORE_TENANT``), the settings of that cooperative of the platform."""
    path = _option_from_argv(argv, "--settings")
    settings = Settings.load(path) if path is not None else Settings.load()
    slug = _option_from_argv(argv, "--tenant") or os.environ.get("KOPCORE_TENANT")
    if slug:
        from kopcore._tenants.commands import tenant_cli_settings

        return tenant_cli_settings(settings, slug)
    return settings


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: turns every expected failure into a message and an exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    redact_handlers(logging.getLogger())
    args = list(sys.argv[1:] if argv is None else argv)
    chosen = _language_from_argv(args)
    locale = chosen or _environment_language() or DEFAULT_LOCALE
    try:
        edge.check_arguments(args)
        settings = _settings_from_argv(args)
        locale = chosen or settings.language
        cli = make_cli(settings)
        cli.main(args=args, prog_name="kopcore", standalone_mode=False)
    except KopcoreError as exc:
        _fail(problem_text(exc, locale), 1, locale)
    except (ConfigurationError, PluginError) as exc:
        _fail(str(exc), 2, locale)
    except click.exceptions.Abort:
        _fail(gettext("aborted", locale), 1, locale)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except OperationalError as exc:
        # The database cannot be reached or opened: say so, without a traceback.
        _fail(gettext("the database is unavailable: {reason}", locale, reason=exc.orig), 2,
              locale)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == "25006":  # read-only: a cooperative moving
            _fail(gettext("the cooperative's database accepts no writes for a moment (it is "
                          "being moved); nothing was written", locale), 2, locale)
        _internal(exc, locale)
    except Exception as exc:
        _internal(exc, locale)


def _internal(exc: Exception, locale: str) -> NoReturn:
    if os.environ.get("KOPCORE_DEBUG"):
        log.exception("internal error")
    _fail(gettext("internal error ({kind}); nothing was half-written. Run with "
                  "KOPCORE_DEBUG=1 to see the details.", locale, kind=type(exc).__name__),
          3, locale)
