"""The HTTP server under ``kv-storage serve``: granian, with a worker process per core.

Granian parses HTTP and runs its workers in Rust, and calls the WSGI app from a pool of
Python threads in each worker (threads for the requests that wait: a held change-feed
request holds one). Against gunicorn's threaded workers it answers about twice the
requests on one core; the site's Performance page has the figures.

Each worker claims a core as it starts (:mod:`kv_api.affinity`), builds its own app
(so no connection is shared between processes) and closes it as it stops, which writes
behind what the app holds.
"""

from __future__ import annotations

import importlib
import importlib.util
import multiprocessing.util
import signal
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels

from kv_api import affinity

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# How long a stopping worker may take to finish the requests it has, in seconds.
GRACEFUL_SECONDS = 10


class App(Protocol):
    """A WSGI app that a worker closes as it stops (writing behind what it holds)."""

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ServerOptions:
    """How ``serve`` runs: processes for the cores, threads for waiting, and with
    ``pin`` each process on a core of its own when there is one for every core."""

    host: str
    port: int
    workers: int
    threads: int
    pin: bool = True


class Server:
    """Granian running ``factory``'s app in ``options.workers`` processes."""

    def __init__(self, options: ServerOptions, factory: Callable[[], App]) -> None:
        self.options = options
        self.factory = factory

    def run(self) -> None:
        options = self.options
        cpus = affinity.available_cpus()
        pin = options.pin and affinity.should_pin(options.workers, cpus)
        _preload()
        with tempfile.TemporaryDirectory(prefix="kv-storage-slots-") as slots:
            server = Granian(
                "kv-storage",
                address=options.host,
                port=options.port,
                interface=Interfaces.WSGI,
                workers=options.workers,
                blocking_threads=options.threads,
                log_level=LogLevels.warning,
                workers_kill_timeout=GRACEFUL_SECONDS,
                respawn_failed_workers=True,
            )
            server.on_startup(partial(_announce, options.host, options.port))
            loader = partial(
                _worker_app, self.factory, Path(slots) if pin else None, cpus, options.workers
            )
            server.serve(target_loader=loader, wrap_loader=False)


def _worker_app(
    factory: Callable[[], App], slots: Path | None, cpus: list[int], workers: int
) -> App:
    """In a new worker: its core, then its app, closed when the worker exits (a worker
    process ends with ``os._exit``, so ``atexit`` would not run).

    Until the worker serves, a stop signal ends it at once: it holds nothing yet, and
    the handler it inherited from the main process would ignore the signal.
    """
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, signal.SIG_DFL)
    if slots is not None:
        affinity.pin_worker(slots, cpus, workers)
    app = factory()
    multiprocessing.util.Finalize(app, app.close, exitpriority=10)
    return app


def _preload() -> None:
    """Import the web app's modules before the workers start, so that each starts
    serving in a moment."""
    import kv_api.web

    kv_api.web.find_site_dir()
    if importlib.util.find_spec("kv_dashboard") is not None:
        importlib.import_module("kv_dashboard")


def _announce(host: str, port: int) -> None:
    print(f"KV Storage listening on http://{host}:{port}/", flush=True)
