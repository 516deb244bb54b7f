"""``/healthz`` and ``/metrics`` of ``compass run``, on ``server.host``:``server.port`` (127.0.0.1 by default).

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
import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
        except Exception:  # noqa: BLE001 - a scrape must answer, whatever broke
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
    """A small HTTP server in a daemon thread.

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
    ) -> None:
        self.metrics = metrics
        self.check = check
        self.reload = reload
        self.host = host
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def bound_port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def start(self) -> HealthServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        try:
            self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        except OSError as exc:
            raise UsageError(
                f"cannot serve /healthz on {self.host}:{self.port} ({exc.strerror}); "
                "choose another server.port (or `compass run --port`), or 0 for any free port"
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.2,), name="compass-health", daemon=True)
        self._thread.start()
        log.info("Serving /healthz and /metrics on %s", self.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Handler(BaseHTTPRequestHandler):
    server_owner: HealthServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health: " + format, *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def do_GET(self) -> None:
        owner = self.server_owner
        if self.path.split("?")[0] == "/healthz":
            try:
                checks = owner.check()
            except Exception:  # a health check must answer, whatever broke
                log.exception("Health check failed")
                checks = {"status": "error"}
            healthy = checks.get("database") == "ok" and checks.get("scheduler") in ("running", None)
            checks["status"] = "ok" if healthy else "unhealthy"
            self._json(200 if healthy else 503, checks)
        elif self.path.split("?")[0] == "/metrics":
            self._send(200, owner.metrics.render(), CONTENT_TYPE_LATEST)
        else:
            self._json(404, {"error": "not found; try /healthz or /metrics"})

    def do_POST(self) -> None:
        owner = self.server_owner
        if self.path != "/-/reload":
            self._json(404, {"error": "not found"})
            return
        if not ipaddress.ip_address(self.client_address[0]).is_loopback:
            self._json(403, {"error": "reload is accepted from this host only"})
            return
        if owner.reload is None:
            self._json(503, {"error": "reload is not available"})
            return
        ok, message = owner.reload()
        self._json(200 if ok else 422, {"reloaded": ok, "message": message})
