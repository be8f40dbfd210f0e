"""Loading plugins and building the registry of what they declare.

External plugins are distributions with an entry point in the group ``kopcore``::

    [project.entry-points.kopcore]
    celengan = "kopcore_celengan"

The kernel's own plugins (``kopcore.plugins.*``) are registered the same way, by name, before the
external ones. Settings' ``plugins`` list enables a subset of the installed external plugins (all
when unset). Loading fails closed: a plugin that cannot be imported, implements an unknown hook or
claims something another plugin already claimed stops start-up with :class:`PluginError` naming
the plugin(s), version and the cause.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

import attrs
import pluggy

from kopcore import __version__, contract, hookspecs
from kopcore._facts import BUSINESS_DATE
from kopcore.errors import KopcoreError, PluginError
from kopcore.records import (
    EodTask,
    EventType,
    GLAccountSpec,
    GLType,
    NotificationChannel,
    PermissionSpec,
    ProductType,
    RoleSpec,
    WebPage,
)

ENTRY_POINT_GROUP = "kopcore"

#: The kernel's built-in plugins, registered under these names in this order.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("kopcore.chart", "kopcore.plugins.chart"),
    ("kopcore.members", "kopcore.plugins.member_ops"),
    ("kopcore.accounts", "kopcore.plugins.account_ops"),
    ("kopcore.ledger", "kopcore.plugins.ledger_ops"),
    ("kopcore.system", "kopcore.plugins.system_ops"),
    ("kopcore.eod", "kopcore.plugins.eod_ops"),
    ("kopcore.users", "kopcore.plugins.user_ops"),
    ("kopcore.offices", "kopcore.plugins.office_ops"),
    ("kopcore.units", "kopcore.plugins.unit_ops"),
    ("kopcore.keys", "kopcore.plugins.key_ops"),
    ("kopcore.audit", "kopcore.plugins.audit_ops"),
    ("kopcore.approvals", "kopcore.plugins.approval_ops"),
    ("kopcore.oversight", "kopcore.plugins.oversight_ops"),
    ("kopcore.yearend", "kopcore.plugins.yearend_ops"),
    ("kopcore.integrity", "kopcore.plugins.integrity_ops"),
    ("kopcore.cutover", "kopcore.plugins.cutover_ops"),
    ("kopcore.export", "kopcore.plugins.export_ops"),
    ("kopcore.notify", "kopcore.plugins.notify_ops"),
    ("kopcore.events", "kopcore.plugins.event_ops"),
    ("kopcore.webhooks", "kopcore.plugins.webhook_ops"),
)


@attrs.frozen
class LoadedPlugin:
    name: str
    version: str
    builtin: bool
    module: str


T = TypeVar("T")


@attrs.frozen
class Claimed(Generic[T]):
    value: T
    plugin: str


class PluginHost:
    """The pluggy manager plus the checked registry of the plugins' declarations."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("kopcore")
        self.pm.add_hookspecs(hookspecs)
        self.loaded: list[LoadedPlugin] = []
        self.gl_accounts: dict[str, Claimed[GLAccountSpec]] = {}
        self.products: dict[str, Claimed[ProductType]] = {}
        self.permissions: dict[str, Claimed[PermissionSpec]] = {}
        self.roles: dict[str, Claimed[RoleSpec]] = {}
        self.operations: dict[str, Claimed[Any]] = {}
        self.facts: dict[str, Claimed[Any]] = {}
        self.eod_tasks: dict[str, Claimed[EodTask]] = {}
        self.web_pages: dict[str, Claimed[WebPage]] = {}
        self.notification_channels: dict[str, Claimed[NotificationChannel]] = {}
        self.event_types: dict[str, Claimed[EventType]] = {}
        self._starting = False
        self._implementations_of: dict[
            str, tuple[bool, list[tuple[str, Any, tuple[str, ...]]]]] = {}

    # --- loading ----------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        enabled: Sequence[str] | None = None,
        *,
        extra: Iterable[tuple[str, object]] = (),
        entry_point_group: str = ENTRY_POINT_GROUP,
    ) -> PluginHost:
        """Register built-ins, the enabled entry-point plugins and ``extra`` (name, object) pairs,
        then build and check the registry."""
        host = cls()
        for name, module_name in BUILTIN_PLUGINS:
            host._register(name, importlib.import_module(module_name), __version__,
                           builtin=True)
        available = {ep.name: ep for ep in entry_points(group=entry_point_group)}
        if enabled is not None:
            missing = [name for name in enabled if name not in available]
            if missing:
                raise PluginError(
                    f"plugins enabled in settings are not installed: {', '.join(missing)} "
                    f"(installed: {', '.join(sorted(available)) or 'none'})"
                )
        for name in sorted(available):
            if enabled is not None and name not in enabled:
                continue
            host._load_entry_point(available[name])
        for name, plugin in extra:
            # In-process plugins of the embedding application: checked when they declare a
            # contract (they are built and tested with this kernel).
            declared = getattr(plugin, contract.DECLARATION, None)
            if declared is not None:
                contract.check(name, "local", declared)
            host._register(name, plugin, "local", builtin=False)
        host._add_plugin_hookspecs()
        try:
            host.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(host._describe_unknown_hooks(exc.plugin)) from None
        host._refuse_ordering_options()
        host._build_registry()
        return host

    def _add_plugin_hookspecs(self) -> None:
        """Let plugins add their own hook specifications (``kopcore_add_hookspecs``)."""
        self._starting = True
        try:
            self.call("kopcore_add_hookspecs", pluginmanager=self.pm)
        finally:
            self._starting = False

    def _refuse_ordering_options(self) -> None:
        """kopcore calls every hook in registration order (:meth:`call`): pluggy's wrappers and
        ``tryfirst``/``trylast`` would have no effect, so a plugin using them is refused rather
        than silently called otherwise than its author meant."""
        for caller in self.pm.hook.__dict__.values():
            if not isinstance(caller, pluggy.HookCaller):
                continue
            for impl in caller.get_hookimpls():
                options = [name for name in ("hookwrapper", "wrapper", "tryfirst", "trylast")
                           if getattr(impl, name, False)]
                if options:
                    raise PluginError(
                        f"plugin {impl.plugin_name!r} marks {caller.name} with "
                        f"{', '.join(options)}: kopcore calls every hook in registration order "
                        "and supports no hook wrappers or ordering options")

    def _describe_unknown_hooks(self, plugin: object) -> str:
        name = self.pm.get_name(plugin) or repr(plugin)
        version = next((p.version for p in self.loaded if p.name == name), "unknown")
        unknown = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()
                         if not caller.has_spec())
        return (f"plugin {name!r} ({version}) implements unknown hook(s) "
                f"{', '.join(unknown)}: no such hook in kopcore {__version__}")

    def _load_entry_point(self, ep: EntryPoint) -> None:
        version = ep.dist.version if ep.dist is not None else "unknown"
        dist = ep.dist.name if ep.dist is not None else "unknown distribution"
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} ({dist} {version}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        contract.check(ep.name, version, getattr(plugin, contract.DECLARATION, None))
        self._register(ep.name, plugin, version, builtin=False)

    def _register(self, name: str, plugin: object, version: str, *, builtin: bool) -> None:
        try:
            self.pm.register(plugin, name=name)
            self._implementations_of.clear()
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(f"plugin {name!r} ({version}) cannot be registered: {exc}") from exc
        module = getattr(plugin, "__name__", type(plugin).__name__)
        self.loaded.append(LoadedPlugin(name, version, builtin, module))

    # --- calling hooks ------------------------------------------------------------------------
    def call(self, hook_name: str, /, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook: the one way the kernel and plugins call hooks.

        Every implementation is called in **registration order** (the kernel's built-in plugins
        in ``BUILTIN_PLUGINS`` order, then the installed plugins by entry-point name, then any
        plugins added by the embedding application), with the keyword arguments its signature
        names. Returns ``[(plugin name, result), ...]`` for every result that is not ``None``;
        a hook specified ``firstresult`` stops at the first such result (a list of at most one).

        An exception raised by an implementation propagates unchanged, with a note naming the
        plugin and the hook, and rolls back the caller's transaction. A declaration hook (one
        without parameters, called while the registry is built) that raises anything but a
        :class:`~kopcore.errors.KopcoreError` stops start-up with :class:`PluginError` naming
        the plugin.
        """
        first_only, implementations = self._implementations(hook_name)
        out: list[tuple[str, Any]] = []
        for plugin, function, argnames in implementations:
            try:
                result = function(**{name: kwargs[name] for name in argnames})
            except KopcoreError:
                raise
            except Exception as exc:
                if not argnames or self._starting:
                    raise PluginError(
                        f"plugin {plugin!r} failed in {hook_name}: {type(exc).__name__}: {exc}"
                    ) from exc
                exc.add_note(f"raised by plugin {plugin!r} in {hook_name}")
                raise
            if result is not None:
                out.append((plugin, result))
                if first_only:
                    break
        return out

    def _implementations(
        self, hook_name: str,
    ) -> tuple[bool, list[tuple[str, Any, tuple[str, ...]]]]:
        """Whether the hook is firstresult, and ``(plugin, function, argument names)`` of its
        implementations in registration order; remembered, since posting asks for them several
        times per entry (the plugins are all registered before the registry is built)."""
        found = self._implementations_of.get(hook_name)
        if found is None:
            caller = getattr(self.pm.hook, hook_name)
            first_only = bool(caller.spec and caller.spec.opts.get("firstresult"))
            found = (first_only, [(impl.plugin_name, impl.function, tuple(impl.argnames))
                                  for impl in caller.get_hookimpls()])
            self._implementations_of[hook_name] = found
        return found

    # --- registry -----------------------------------------------------------------------------
    def _claim(self, kind: str, table: dict[str, Claimed[Any]], key: str, value: Any,
               plugin: str) -> None:
        if not in_namespace(plugin, key, builtin=self._is_builtin(plugin)):
            raise PluginError(
                f"plugin {plugin!r}: {kind} {key!r} is outside its namespace: name it "
                f"'{plugin}' or '{plugin}.<what>' (a plugin names only its own things)")
        if key in table:
            raise PluginError(
                f"{kind} {key!r} is claimed by both plugin {table[key].plugin!r} "
                f"and plugin {plugin!r}"
            )
        table[key] = Claimed(value, plugin)

    def _build_registry(self) -> None:
        codes: dict[str, str] = {}
        for plugin, specs in self.call("kopcore_gl_accounts"):
            for spec in specs:
                self._claim("GL account", self.gl_accounts, spec.key, spec, plugin)
                if spec.code in codes:
                    raise PluginError(f"GL code {spec.code!r} is claimed by both plugin "
                                      f"{codes[spec.code]!r} and plugin {plugin!r}")
                codes[spec.code] = plugin
                if spec.position_section is not None and (
                        spec.type not in (GLType.LIABILITY, GLType.EQUITY) or spec.contra
                        or not spec.position_section.strip()):
                    raise PluginError(
                        f"plugin {plugin!r}: GL account {spec.key!r} names a position section, "
                        "which only a liability or equity account (not contra) may, with a title")
        for plugin, products in self.call("kopcore_product_types"):
            for product in products:
                self._claim("product code", self.products, product.code, product, plugin)
                if product.gl_key not in self.gl_accounts:
                    raise PluginError(
                        f"plugin {plugin!r}: product {product.code!r} rolls up to unknown "
                        f"GL account {product.gl_key!r}"
                    )
        for plugin, perms in self.call("kopcore_permissions"):
            for perm in perms:
                self._claim("permission", self.permissions, perm.name, perm, plugin)
        for plugin, roles in self.call("kopcore_roles"):
            for role in roles:
                self._claim("role", self.roles, role.name, role, plugin)
                unknown = sorted(set(role.permissions) - set(self.permissions))
                if unknown:
                    raise PluginError(f"plugin {plugin!r}: role {role.name!r} holds unknown "
                                      f"permission(s) {', '.join(unknown)}")
        routes: dict[str, Claimed[Any]] = {}
        commands: dict[str, Claimed[Any]] = {}
        for plugin, operations in self.call("kopcore_operations"):
            for operation in operations:
                operation = attrs.evolve(operation, plugin=plugin)
                self._claim("operation", self.operations, operation.name, operation, plugin)
                for kind, table, key in (("route", routes, operation.route_key),
                                         ("command", commands, " ".join(operation.command_path))):
                    if key in table:
                        raise PluginError(f"{kind} {key!r} is claimed by both plugin "
                                          f"{table[key].plugin!r} and plugin {plugin!r}")
                    table[key] = Claimed(operation, plugin)
                if operation.permission not in self.permissions:
                    raise PluginError(
                        f"plugin {plugin!r}: operation {operation.name!r} requires unknown "
                        f"permission {operation.permission!r}"
                    )

        for plugin, facts in self.call("kopcore_transaction_facts"):
            for name, expression in facts.items():
                if name == BUSINESS_DATE or not isinstance(name, str) or "." not in name:
                    raise PluginError(
                        f"plugin {plugin!r}: transaction fact {name!r} must be named "
                        "'<plugin>.<what>' and differ from the kernel's own"
                    )
                self._claim("transaction fact", self.facts, name, expression, plugin)
        for plugin, tasks in self.call("kopcore_eod_tasks"):
            for task in tasks:
                self._claim("end-of-day task", self.eod_tasks, task.name, task, plugin)
        for plugin, pages in self.call("kopcore_web_pages"):
            for page in pages:
                self._claim("web page", self.web_pages, page.name, page, plugin)
                if page.permission not in self.permissions:
                    raise PluginError(f"plugin {plugin!r}: web page {page.name!r} requires "
                                      f"unknown permission {page.permission!r}")
        for plugin, channels in self.call("kopcore_notification_channels"):
            for channel in channels:
                self._claim("notification channel", self.notification_channels, channel.name,
                            channel, plugin)
        for plugin, types in self.call("kopcore_event_types"):
            for event_type in types:
                self._claim("event type", self.event_types, event_type.name, event_type, plugin)

    def _is_builtin(self, plugin: str) -> bool:
        return any(loaded.builtin for loaded in self.loaded if loaded.name == plugin)

    def plugin_of_module(self, module: str) -> str | None:
        for loaded in self.loaded:
            if loaded.module == module:
                return loaded.name
        return None


def in_namespace(plugin: str, name: str, *, builtin: bool = False) -> bool:
    """Whether ``name`` (an operation, GL key, permission, product code, end-of-day task,
    transaction fact, table or migration revision) belongs to ``plugin``: the plugin's own name,
    or a name starting with it and ``.``, ``-`` or ``_``. The kernel's built-in plugins own
    every other name. This keeps a later release of one plugin from colliding with another."""
    if builtin:
        return True
    return name == plugin or (name.startswith(plugin) and name[len(plugin):][:1] in {".", "-", "_"})
