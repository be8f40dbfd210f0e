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

from kopcore import __version__, hookspecs
from kopcore.errors import PluginError
from kopcore.facts import BUSINESS_DATE
from kopcore.records import GLAccountSpec, PermissionSpec, ProductType

ENTRY_POINT_GROUP = "kopcore"

#: The kernel's built-in plugins, registered under these names in this order.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("kopcore.chart", "kopcore.plugins.chart"),
    ("kopcore.members", "kopcore.plugins.member_ops"),
    ("kopcore.accounts", "kopcore.plugins.account_ops"),
    ("kopcore.ledger", "kopcore.plugins.ledger_ops"),
    ("kopcore.admin", "kopcore.plugins.admin_ops"),
    ("kopcore.oversight", "kopcore.plugins.oversight_ops"),
    ("kopcore.yearend", "kopcore.plugins.yearend_ops"),
    ("kopcore.integrity", "kopcore.plugins.integrity_ops"),
    ("kopcore.cutover", "kopcore.plugins.cutover_ops"),
    ("kopcore.export", "kopcore.plugins.export_ops"),
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
        self.operations: dict[str, Claimed[Any]] = {}
        self.facts: dict[str, Claimed[Any]] = {}
        self._implementations_of: dict[str, list[tuple[str, Any, tuple[str, ...]]]] = {}

    @property
    def hook(self) -> Any:
        return self.pm.hook

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
            host._register(name, plugin, "local", builtin=False)
        host._add_plugin_hookspecs()
        try:
            host.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(host._describe_unknown_hooks(exc.plugin)) from None
        host._build_registry()
        return host

    def _add_plugin_hookspecs(self) -> None:
        """Let plugins add their own hook specifications (``kopcore_add_hookspecs``)."""
        for impl in reversed(self.pm.hook.kopcore_add_hookspecs.get_hookimpls()):
            try:
                impl.function(pluginmanager=self.pm)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"plugin {impl.plugin_name!r} failed in kopcore_add_hookspecs: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc

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
        self._register(ep.name, plugin, version, builtin=False)

    def _register(self, name: str, plugin: object, version: str, *, builtin: bool) -> None:
        try:
            self.pm.register(plugin, name=name)
            self._implementations_of.clear()
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(f"plugin {name!r} ({version}) cannot be registered: {exc}") from exc
        module = getattr(plugin, "__name__", type(plugin).__name__)
        self.loaded.append(LoadedPlugin(name, version, builtin, module))

    # --- registry -----------------------------------------------------------------------------
    def results(self, hook_name: str) -> list[tuple[str, Any]]:
        """Call a declaration hook plugin by plugin: ``[(plugin name, result), ...]``."""
        caller = getattr(self.pm.hook, hook_name)
        out: list[tuple[str, Any]] = []
        for impl in reversed(caller.get_hookimpls()):  # registration order
            try:
                result = impl.function()
            except Exception as exc:
                raise PluginError(
                    f"plugin {impl.plugin_name!r} failed in {hook_name}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            if result is not None:
                out.append((impl.plugin_name, result))
        return out

    def call_each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a runtime hook on every plugin, in registration order, keeping each non-None
        result with the name of the plugin that returned it."""
        out: list[tuple[str, Any]] = []
        for plugin, function, argnames in self._implementations(hook_name):
            result = function(**{name: kwargs[name] for name in argnames})
            if result is not None:
                out.append((plugin, result))
        return out

    def _implementations(self, hook_name: str) -> list[tuple[str, Any, tuple[str, ...]]]:
        """``(plugin, function, argument names)`` of a hook's implementations in registration
        order; remembered, since posting asks for them several times per entry (the plugins
        are all registered before the registry is built)."""
        found = self._implementations_of.get(hook_name)
        if found is None:
            caller = getattr(self.pm.hook, hook_name)
            found = [(impl.plugin_name, impl.function, tuple(impl.argnames))
                     for impl in reversed(caller.get_hookimpls())]
            self._implementations_of[hook_name] = found
        return found

    def _claim(self, kind: str, table: dict[str, Claimed[Any]], key: str, value: Any,
               plugin: str) -> None:
        if key in table:
            raise PluginError(
                f"{kind} {key!r} is claimed by both plugin {table[key].plugin!r} "
                f"and plugin {plugin!r}"
            )
        table[key] = Claimed(value, plugin)

    def _build_registry(self) -> None:
        codes: dict[str, Claimed[GLAccountSpec]] = {}
        for plugin, specs in self.results("kopcore_gl_accounts"):
            for spec in specs:
                self._claim("GL account", self.gl_accounts, spec.key, spec, plugin)
                self._claim("GL code", codes, spec.code, spec, plugin)
        for plugin, products in self.results("kopcore_product_types"):
            for product in products:
                self._claim("product code", self.products, product.code, product, plugin)
                if product.gl_key not in self.gl_accounts:
                    raise PluginError(
                        f"plugin {plugin!r}: product {product.code!r} rolls up to unknown "
                        f"GL account {product.gl_key!r}"
                    )
        for plugin, perms in self.results("kopcore_permissions"):
            for perm in perms:
                self._claim("permission", self.permissions, perm.name, perm, plugin)
        routes: dict[str, Claimed[Any]] = {}
        commands: dict[str, Claimed[Any]] = {}
        for plugin, operations in self.results("kopcore_operations"):
            for operation in operations:
                operation = attrs.evolve(operation, plugin=plugin)
                self._claim("operation", self.operations, operation.name, operation, plugin)
                self._claim("route", routes, operation.route_key, operation, plugin)
                self._claim("command", commands, " ".join(operation.command_path), operation,
                            plugin)
                if operation.permission not in self.permissions:
                    raise PluginError(
                        f"plugin {plugin!r}: operation {operation.name!r} requires unknown "
                        f"permission {operation.permission!r}"
                    )

        for plugin, facts in self.results("kopcore_transaction_facts"):
            for name, expression in facts.items():
                if name == BUSINESS_DATE or not isinstance(name, str) or "." not in name:
                    raise PluginError(
                        f"plugin {plugin!r}: transaction fact {name!r} must be named "
                        "'<plugin>.<what>' and differ from the kernel's own"
                    )
                self._claim("transaction fact", self.facts, name, expression, plugin)

    def plugin_of_module(self, module: str) -> str | None:
        for loaded in self.loaded:
            if loaded.module == module:
                return loaded.name
        return None
