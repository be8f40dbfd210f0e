"""``kopcore init``: what a new cooperative's settings must say before its books are created.

The settings file (``--settings``, ``$KOPCORE_SETTINGS`` or ``./kopcore.toml``, created when
there is none) records the cooperative's name — every report, statement and the API's title
print it — and the plugins it enables. A key the file already sets is kept (a different
``--name`` or ``--plugins`` is refused: change it in the file); a missing one is added at the
top of the file, which is otherwise left as written. The plugins default to every installed
product plugin, never a test fixture (:mod:`kopcore._installed`).
"""

from __future__ import annotations

import json
import os
import tomllib
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kopcore._installed import product_plugins
from kopcore.errors import ConfigurationError, printable
from kopcore.settings import Settings

DEFAULT_FILE = Path("kopcore.toml")
NAME_LENGTH = 200


def settings_file(settings: Settings) -> Path:
    """The file ``settings`` came from, or ``./kopcore.toml`` when they are the defaults."""
    return DEFAULT_FILE if settings.source == "defaults" else Path(settings.source)


def _toml(value: str | list[str]) -> str:
    # A JSON string is a TOML basic string (JSON's escapes are TOML's).
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(item, ensure_ascii=False) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _name(given: str | None, ask: Callable[[], str] | None) -> str:
    if given is None and ask is not None:
        given = ask()
    name = unicodedata.normalize("NFC", (given or "").strip())
    if not name:
        raise ConfigurationError('name the cooperative: kopcore init --name "Koperasi ..." '
                                 "(its reports and statements print it)")
    if printable(name) != name or len(name) > NAME_LENGTH:
        raise ConfigurationError(f"the cooperative's name must be one line of at most "
                                 f"{NAME_LENGTH} characters")
    return name


def _plugins(given: str | None) -> list[str]:
    if given is None:
        return list(product_plugins())
    return [name.strip() for name in given.split(",") if name.strip()]


def record_settings(settings: Settings, *, name: str | None, plugins: str | None,
                    ask_name: Callable[[], str] | None = None) -> tuple[Settings, list[str]]:
    """Make the settings file say the cooperative's name and plugins; returns the settings
    read back from it and the keys added."""
    path = settings_file(settings)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        written: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"settings file {path} is not TOML: {exc}") from None
    added: dict[str, str | list[str]] = {}
    if "cooperative_name" not in written:
        added["cooperative_name"] = _name(name, ask_name)
    elif name is not None and _name(name, None) != written["cooperative_name"]:
        raise ConfigurationError(f"{path} names the cooperative {written['cooperative_name']!r}; "
                                 "change cooperative_name there")
    from_environment = os.environ.get("KOPCORE_PLUGINS") is not None
    if "plugins" not in written and not from_environment:
        added["plugins"] = _plugins(plugins)
    elif plugins is not None and _plugins(plugins) != list(settings.plugins or ()):
        where = "$KOPCORE_PLUGINS" if from_environment else str(path)
        raise ConfigurationError(f"{where} already says which plugins are enabled; change "
                                 "them there")
    if added:
        lines = [f"{key} = {_toml(value)}" for key, value in added.items()]
        header = "" if text else "# kopcore settings (docs/settings.md), started by kopcore init\n"
        path.write_text(header + "\n".join(lines) + "\n" + text, encoding="utf-8")
    return Settings.load(path), list(added)


__all__ = ["record_settings", "settings_file"]
