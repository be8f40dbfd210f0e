"""Providers of a product plugin: outside services offered by other plugins, by name.

A product plugin that talks to outside services (PPOB aggregators, payment gateways, message
providers) declares a hook of its own on which plugins offer providers, each a spec with a
``name``. This module is the part every such product plugin shares:

- :func:`by_name` collects the offers into one mapping and stops start-up when two plugins
  offer the same name, naming both;
- :class:`ProviderSettings` reads a provider's settings from environment variables
  ``<PREFIX>_<NAME>_<KEY>`` (or from a cooperative's own environment,
  :attr:`kopcore.context.Context.environment`), keeps the secrets out of ``repr`` and refuses a
  missing required setting with the product plugin's own typed error, naming the variable;
- :func:`calling` turns anything but a typed refusal raised while talking to a provider (a
  network error) into the product plugin's "unavailable" refusal, logging only the error's type.

A product plugin subclasses :class:`ProviderSettings` with its prefix and its refusal::

    @attrs.frozen
    class GatewayConfig(ProviderSettings):
        PREFIX: ClassVar[str] = "KOPCORE_PAYMENTS"

        def missing(self, variable: str) -> KopcoreError:
            return GatewayUnavailable(_("payment gateway {gateway} is not configured: set "
                                        "{variable}", gateway=self.name, variable=variable))
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import ClassVar, Protocol, Self, TypeVar

import attrs

from kopcore.errors import KopcoreError, PluginError

log = logging.getLogger(__name__)


class Named(Protocol):
    """A provider spec: anything with a ``name``."""

    @property
    def name(self) -> str: ...


SpecT = TypeVar("SpecT", bound=Named)
T = TypeVar("T")


def by_name(offers: Iterable[tuple[str, Sequence[SpecT] | None]], what: str) -> dict[str, SpecT]:
    """The specs offered, by name, from ``(plugin name, specs)`` pairs (what
    ``ctx.kernel.plugins.call(hook)`` yields). Two plugins offering one name raise
    :class:`~kopcore.errors.PluginError` naming both; ``what`` names the kind of provider in
    that message ("PPOB provider", "payment gateway")."""
    found: dict[str, tuple[str, SpecT]] = {}
    for plugin, specs in offers:
        for spec in specs or ():
            if spec.name in found:
                raise PluginError(f"{what} {spec.name!r} is offered by both plugin "
                                  f"{found[spec.name][0]!r} and plugin {plugin!r}")
            found[spec.name] = (plugin, spec)
    return {name: spec for name, (_, spec) in found.items()}


@attrs.frozen
class ProviderSettings:
    """A provider's settings: environment variables ``<PREFIX>_<NAME>_<KEY>``, keys lower-cased.

    Secrets (API keys, callback tokens) live only here: never stored, logged or shown
    (``repr`` hides the values). Subclasses set :attr:`PREFIX` and :meth:`missing`."""

    PREFIX: ClassVar[str] = "KOPCORE"

    name: str
    values: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    @classmethod
    def _prefix(cls, name: str) -> str:
        return f"{cls.PREFIX}_{name.upper().replace('-', '_')}_"

    @classmethod
    def from_env(cls, name: str, environ: Mapping[str, str] | None = None) -> Self:
        """The settings of provider ``name`` in ``environ`` (the process environment when
        ``None``)."""
        prefix = cls._prefix(name)
        env = os.environ if environ is None else environ
        return cls(name, {k[len(prefix):].lower(): v for k, v in env.items()
                          if k.startswith(prefix)})

    def variable(self, key: str) -> str:
        """The environment variable that holds ``key``."""
        return self._prefix(self.name) + key.upper()

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    def require(self, key: str) -> str:
        """The value of ``key``; a missing or empty one raises :meth:`missing`'s refusal."""
        value = self.values.get(key, "")
        if not value:
            raise self.missing(self.variable(key))
        return value

    def missing(self, variable: str) -> KopcoreError:
        """The refusal for a required setting that is not set: the product plugin's own typed
        error (503, "provider unavailable"), naming ``variable``."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to refuse a "
                                  f"missing {variable}")


def calling(name: str, what: Callable[[], T], unavailable: Callable[[str, str], KopcoreError],
            ) -> T:
    """``what()``, talking to provider ``name``: a typed refusal stays as it is; anything else
    (a network error) is logged by type only and becomes ``unavailable(name, error type)``."""
    try:
        return what()
    except KopcoreError:
        raise
    except Exception as exc:
        log.warning("provider %s failed: %s", name, type(exc).__name__)
        raise unavailable(name, type(exc).__name__) from None
