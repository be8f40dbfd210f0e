"""Serving the API: an ASGI app factory for uvicorn and the ``kopcore serve`` entry.

uvicorn logs through :func:`~kopcore.interfaces._logs.server_log_config`: its access log never
holds a query string's values or a credential."""

from __future__ import annotations

import os
from typing import Any

from kopcore.interfaces._logs import server_log_config
from kopcore.settings import Settings


def create_app() -> Any:
    """ASGI factory used by each uvicorn worker: settings from the environment. With a tenant
    registry (``tenant_registry_url``) and no ``$KOPCORE_TENANT``, the platform app serving
    every cooperative of the registry (:mod:`kopcore._tenants.platform`)."""
    from kopcore.interfaces.api import make_app
    from kopcore.kernel import Kernel

    settings = Settings.load()
    if settings.tenant_registry_url and not os.environ.get("KOPCORE_TENANT"):
        from kopcore._tenants.platform import make_platform

        return make_platform(settings)
    if os.environ.get("KOPCORE_TENANT"):
        from kopcore._tenants.commands import tenant_cli_settings

        settings = tenant_cli_settings(settings, os.environ["KOPCORE_TENANT"])
    return make_app(Kernel.start(settings))


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Run uvicorn. With several workers each is a separate process building its own kernel
    from the same settings file and environment, so they share nothing but the database."""
    import uvicorn

    platform = bool(settings.tenant_registry_url) and \
        not settings.source.startswith("tenant ")
    if workers == 1:
        from kopcore.interfaces.api import make_app
        from kopcore.kernel import Kernel

        if platform:
            from kopcore._tenants.platform import make_platform

            app: Any = make_platform(settings)
        else:
            app = make_app(Kernel.start(settings))
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True,
                    log_config=server_log_config(tenants=platform))
        return
    if os.path.isfile(settings.source):
        os.environ["KOPCORE_SETTINGS"] = os.path.abspath(settings.source)
    if settings.tenant_registry_url:
        os.environ["KOPCORE_TENANT_REGISTRY_URL"] = str(settings.tenant_registry_url)
    if settings.source.startswith("tenant "):
        os.environ["KOPCORE_TENANT"] = settings.source.removeprefix("tenant ")
    elif not platform:
        os.environ["KOPCORE_DATABASE_URL"] = settings.database_url
    if settings.plugins is not None:
        os.environ["KOPCORE_PLUGINS"] = ",".join(settings.plugins)
    uvicorn.run("kopcore.interfaces.asgi:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info", proxy_headers=True,
                log_config=server_log_config(tenants=platform))
