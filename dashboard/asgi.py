"""What ``forecast-ledger dashboard`` serves: the router (streamlit_app.py) as a Streamlit
``st.App``, behind a guard that answers only requests addressed to this server by name.

Why a guard of our own: Streamlit accepts any ``Host`` header on plain HTTP requests, and its
``server.allowedHosts`` applies to the websocket only, so a page on a rebinding domain
(evil.example resolving to 127.0.0.1) could read the dashboard. Streamlit's cross-origin check of
the websocket falls back to looking up this machine's external address over the network. The
guard runs first (``st.App(middleware=...)`` is Streamlit's supported hook; ``streamlit run``
finds ``app`` below and serves it with uvicorn): a request whose Host is not ``127.0.0.1:PORT``
or ``localhost:PORT`` (or the address given with ``--address``), and a websocket upgrade or a
write whose Origin is not one of those, get 403 before Streamlit sees them.

``streamlit run dashboard/streamlit_app.py`` still serves the pages without the guard (the
router stays a plain script so AppTest can run it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def served_hosts(address: str | None, port: int) -> frozenset[str]:
    """The Host values that name this server: loopback names and the bound address, with port.

    >>> sorted(served_hosts("127.0.0.1", 8501))
    ['127.0.0.1:8501', '[::1]:8501', 'localhost:8501']
    """
    names = set(LOOPBACK)
    if address and address not in ("0.0.0.0", "::"):  # noqa: S104 (compared, not bound)
        names.add(f"[{address}]" if ":" in address else address)
    return frozenset(f"{name.lower()}:{port}" for name in names)


class LocalOnly:
    """ASGI middleware: refuse requests not addressed to ``hosts`` (see the module's docstring).

    ``hosts`` is a callable so the port is read when a request comes, after Streamlit has bound.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                 hosts: Callable[[], frozenset[str]]) -> None:
        self.app = app
        self.hosts = hosts

    def refusal(self, scope: Scope) -> str | None:
        """Why ``scope`` is refused, or None when it is addressed to this server."""
        hosts = self.hosts()
        values = [(k.lower(), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        host = [v.lower() for k, v in values if k == b"host"]
        if len(host) != 1 or host[0] not in hosts:
            return "this dashboard answers only at " + " or ".join(
                f"http://{h}" for h in sorted(hosts))
        # A browser names the page a request comes from in Origin; a websocket has no CORS to
        # protect it, and a write must not come from another site's page.
        origins = {v.lower() for k, v in values if k == b"origin"}
        checks_origin = scope["type"] == "websocket" or scope.get("method") not in SAFE_METHODS
        if checks_origin and not origins <= {f"http://{h}" for h in hosts}:
            return "requests from other sites are refused"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        reason = self.refusal(scope)
        if reason is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            # Closing before accepting makes the server answer the upgrade with 403.
            await send({"type": "websocket.close", "code": 1008})
        else:
            body = f"refused: {reason}\n".encode()
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})


def _hosts() -> frozenset[str]:
    return served_hosts(config.get_option("server.address"), config.get_option("server.port"))


app = st.App(Path(__file__).resolve().parent / "streamlit_app.py",
             middleware=[Middleware(LocalOnly, hosts=_hosts)])
