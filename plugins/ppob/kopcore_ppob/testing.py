"""Test support for kopcore-ppob and its provider plugins.

:class:`RunningServer` serves a kernel's web API under uvicorn on an ephemeral loopback port in a
thread, so a provider's test double can deliver its webhooks over real HTTP, as the provider
would, to the public callback route ``/api/v1/ppob/callback``.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel


class RunningServer:
    """``with RunningServer(kernel) as server: ... server.url``."""

    def __init__(self, kernel: Kernel) -> None:
        import uvicorn  # the kernel's own server; imported only where a test serves

        config = uvicorn.Config(make_app(kernel), host="127.0.0.1", port=0, log_level="warning",
                                lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        socket = self._server.servers[0].sockets[0]
        host, port = socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def callback_url(self) -> str:
        return self.url + "/api/v1/ppob/callback"

    def __enter__(self) -> RunningServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the kopcore server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
