"""``/healthz`` and ``/metrics`` of ``compass run``, on ``server.host``:``server.port`` (127.0.0.1 by default).

The server is a Starlette application run by uvicorn in a thread; the review page (``chatops.web``) is
mounted beside these routes under ``/review`` when the caller passes it.

- ``GET /healthz``: 200 ``{"status": "ok", ...}`` when the database answers and the scheduler runs,
  503 with the failing check otherwise. The docker-compose healthcheck calls it.
- ``GET /metrics``: Prometheus text format: digests published, publication failures, chat commands
  handled, the event-queue lag, configuration reloads.
- ``POST /-/reload``: reload the configuration (what ``compass reload`` sends); accepted only from a
  loopback address, whatever the bind address.

Each ``Metrics`` has its own registry, so tests and several runners in one process do not collide.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from chatops.errors import UsageError

log = logging.getLogger(__name__)


class Metrics:
    """The counters and gauges ``compass run`` exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.published = Counter(
            "compass_digests_published", "Digest publications completed, per digest and target.", ["digest", "target"],
            registry=self.registry,
        )
        self.failures = Counter(
            "compass_publish_failures", "Publications that failed for good in one fire, per digest and target.",
            ["digest", "target"], registry=self.registry,
        )
        self.skipped = Counter(
            "compass_digests_skipped", "Publications skipped because the digest was empty.", ["digest"], registry=self.registry,
        )
        self._handled = 0
        self._lag: float | None = None
        self._bot: Any = None
        self._status: Callable[[], dict[str, float]] | None = None
        self.registry.register(_ChatCollector(self))
        self.registry.register(_StatusCollector(self))
        self.reloads = Counter(
            "compass_config_reloads", "Configuration reloads, by result.", ["result"], registry=self.registry,
        )
        self.missed = Counter(
            "compass_fires_missed", "Scheduled fires older than their grace period, logged and not posted.", ["digest"],
            registry=self.registry,
        )

    def record(self, outcome: Any) -> None:
        """Count a ``chatops.publishing.DigestOutcome``."""
        for target in outcome.targets:
            if target.status == "published":
                self.published.labels(outcome.digest, target.target).inc()
            elif target.status == "failed":
                self.failures.labels(outcome.digest, target.target).inc()
            elif target.status == "skipped":
                self.skipped.labels(outcome.digest).inc()

    def command_handled(self, lag_seconds: float | None = None) -> None:
        """Count one chat command answered here, and how long its event waited."""
        self._handled += 1
        if lag_seconds is not None:
            self._lag = max(0.0, lag_seconds)

    def watch_bot(self, bot: Any) -> None:
        """Read the chat bot's own counters (``handled``, ``event_lag_seconds``) at each scrape."""
        self._bot = bot

    def watch_status(self, counts: Callable[[], dict[str, float]]) -> None:
        """Read ``Compass.status``'s counts (failed and late periods, the chat cursor) at each scrape."""
        self._status = counts

    def status_values(self) -> dict[str, float]:
        if self._status is None:
            return {}
        try:
            return self._status()
        except Exception:  # a scrape must answer, whatever broke
            log.warning("Reading the status for /metrics failed", exc_info=True)
            return {}

    def chat_values(self) -> tuple[float, float | None]:
        handled = float(self._handled)
        lag = self._lag
        if self._bot is not None:
            handled += float(getattr(self._bot, "handled", 0) or 0)
            bot_lag = getattr(self._bot, "event_lag_seconds", None)
            lag = float(bot_lag) if bot_lag is not None else lag
        return handled, lag

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _ChatCollector(Collector):
    """``compass_commands_handled_total`` and ``compass_event_queue_lag_seconds``, read when scraped."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        handled, lag = self.metrics.chat_values()
        yield CounterMetricFamily("compass_commands_handled", "Chat commands answered by this process.", value=handled)
        yield GaugeMetricFamily(
            "compass_event_queue_lag_seconds",
            "Seconds between a chat event being sent and compass handling it (last event; 0 before any).",
            value=lag or 0.0,
        )


class _StatusCollector(Collector):
    """The counts ``compass status`` shows: failed and late periods, publications of each digest's newest
    period by status, the chat catch-up cursor and the shout-outs still owed a confirmation."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        values = self.metrics.status_values()
        if not values:
            return
        problems = GaugeMetricFamily("compass_periods_unpublished", "Periods that failed or are late (compass status).",
                                     labels=["state"])
        problems.add_metric(["failed"], values.get("failed", 0.0))
        problems.add_metric(["late"], values.get("late", 0.0))
        yield problems
        newest = GaugeMetricFamily("compass_newest_publications", "Publications of each digest's newest period, by status.",
                                   labels=["status"])
        for key, value in sorted(values.items()):
            if key.startswith("newest_"):
                newest.add_metric([key.removeprefix("newest_")], value)
        yield newest
        if "chat_cursor" in values:
            yield GaugeMetricFamily("compass_chat_cursor", "Every message to compass up to this id was handled.",
                                    value=values["chat_cursor"])
            yield GaugeMetricFamily("compass_shoutouts_unconfirmed", "Shout-outs recorded whose confirmation is owed.",
                                    value=values.get("unconfirmed", 0.0))


HealthCheck = Callable[[], dict[str, Any]]
ReloadHook = Callable[[], tuple[bool, str]]


class HealthServer:
    """``/healthz``, ``/metrics`` and ``/-/reload`` (and an optional ASGI app under ``/review``) in a thread.

    Example usage::

        server = HealthServer(metrics, check=lambda: {"database": "ok"}, host="127.0.0.1", port=9464).start()
        server.url   # 'http://127.0.0.1:9464'
    """

    def __init__(
        self,
        metrics: Metrics,
        *,
        check: HealthCheck,
        reload: ReloadHook | None = None,
        host: str = "127.0.0.1",
        port: int = 9464,
        review: Any = None,
    ) -> None:
        self.metrics = metrics
        self.check = check
        self.reload = reload
        self.host = host
        self.port = port
        self.review = review  # an ASGI app (``chatops.web.create_app``) served under /review
        self._server: Any = None
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._socket is not None
        host, port = self._socket.getsockname()[:2]
        return f"http://{host!s}:{port}" if ":" not in str(host) else f"http://[{host}]:{port}"

    @property
    def bound_port(self) -> int:
        assert self._socket is not None
        return int(self._socket.getsockname()[1])

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Mount, Route

        owner = self

        async def healthz(request: Request) -> Response:
            from starlette.concurrency import run_in_threadpool

            try:
                checks = await run_in_threadpool(owner.check)
            except Exception:  # a health check must answer, whatever broke
                log.exception("Health check failed")
                checks = {"status": "error"}
            healthy = checks.get("database") == "ok" and checks.get("scheduler") in ("running", None)
            checks["status"] = "ok" if healthy else "unhealthy"
            return JSONResponse(checks, status_code=200 if healthy else 503)

        async def metrics(request: Request) -> Response:
            return Response(owner.metrics.render(), media_type=CONTENT_TYPE_LATEST)

        async def reload(request: Request) -> Response:
            from starlette.concurrency import run_in_threadpool

            client = request.client.host if request.client is not None else ""
            try:
                loopback = ipaddress.ip_address(client).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                return JSONResponse({"error": "reload is accepted from this host only"}, status_code=403)
            if owner.reload is None:
                return JSONResponse({"error": "reload is not available"}, status_code=503)
            ok, message = await run_in_threadpool(owner.reload)
            return JSONResponse({"reloaded": ok, "message": message}, status_code=200 if ok else 422)

        async def not_found(request: Request, exc: Exception) -> Response:
            return JSONResponse({"error": "not found; try /healthz or /metrics"}, status_code=404)

        routes: list[Any] = [
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/-/reload", reload, methods=["POST"]),
        ]
        if self.review is not None:
            routes.append(Mount("/review", app=self.review))
        return Starlette(routes=routes, exception_handlers={404: not_found})

    def start(self) -> HealthServer:
        import uvicorn

        try:
            family = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)[0][0]
            # proto TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto says TCP; without
            # it every reply on a kept-alive connection waited ~40 ms for the client's delayed ACK.
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
        except OSError as exc:
            raise UsageError(
                f"cannot serve /healthz on {self.host}:{self.port} ({exc.strerror or exc}); "
                "choose another server.port (or `compass run --port`), or 0 for any free port"
            ) from None
        self._socket = sock
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off", access_log=False,
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name="compass-health",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        log.info("Serving /healthz and /metrics on %s", self.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
