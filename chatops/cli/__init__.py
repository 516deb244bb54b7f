"""The ``compass`` command line: the only place that prints, configures logging or picks an exit code.

Subcommand groups live in their own modules (``chatops/cli/<group>.py``) and are imported only when
called, so ``compass --help`` and ``compass config check`` never pay for SQLAlchemy, Alembic or the
chat clients.

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from chatops.errors import CompassError, ConfigError, DatabaseUnreachable, UsageError

if TYPE_CHECKING:
    from chatops.config import Config

DEFAULT_CONFIG = "config/compass.yaml"

# name -> "module:attribute"; loaded on first use.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "config": ("chatops.cli.config_cmd:config", "Validate, show or create the configuration."),
    "db": ("chatops.cli.db:db", "Create or upgrade the database schema."),
    "notes": ("chatops.cli.notes:notes", "Parse meeting notes into structured meetings."),
    "releases": ("chatops.cli.releases:releases", "List releases from GitHub, PyPI and changelogs."),
    "digest": ("chatops.cli.digest:digest", "Preview or post digests."),
    "sources": ("chatops.cli.sources:sources", "Check the configured notes, release and activity sources."),
    "drafts": ("chatops.cli.drafts:drafts", "Review drafted digests: list, show, approve, hold, skip."),
    "people": ("chatops.cli.people:people", "The people registry: build, list, show, merge, split, forget."),
    "chat": ("chatops.cli.chat:chat", "Talk to compass locally, without a Zulip server."),
    "run": ("chatops.cli.run:run", "Run the bot: scheduled digests and chat commands."),
    "serve": ("chatops.cli.serve:serve", "Serve the review page alone (no scheduler, no chat)."),
    "schedule": ("chatops.cli.run:schedule", "Show each digest's next fire times."),
    "status": ("chatops.cli.run:status", "Show each digest's last outcomes, failed or late periods, the chat cursor."),
    "reload": ("chatops.cli.run:reload", "Ask a running bot to reload its configuration."),
}


@dataclass
class AppContext:
    """What every command gets: where the config is, the database override, output settings."""

    config_path: Path
    config_explicit: bool
    db_url: str | None
    verbose: int
    log_format: str
    _config: Config | None = field(default=None, repr=False)

    def load_config(self, *, required: bool = True) -> Config | None:
        """Load (once) and return the configuration; ``ConfigError`` if it is invalid.

        With ``required=False`` a missing default config file yields ``None`` so that commands
        usable without configuration (``notes parse``, ``releases list``) still work.
        """
        if self._config is None:
            from chatops.config import load_config

            if not self.config_path.exists() and not required and not self.config_explicit:
                return None
            self._config = load_config(self.config_path, db_url=self.db_url)
        return self._config

    @property
    def config(self) -> Config:
        cfg = self.load_config()
        assert cfg is not None
        return cfg


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(LAZY_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = LAZY_COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module_name, _, attr = spec[0].partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return _not_yet(cmd_name, spec[1])
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CompassError as exc:
            logging.getLogger("chatops.cli").debug("command failed", exc_info=True)
            raise CompassCLIError(exc) from exc
        except Exception as exc:
            # A database that cannot be reached, wherever a command first touches it: one line, no traceback.
            error = _database_error(exc, ctx)
            if error is None:
                raise
            logging.getLogger("chatops.cli").debug("command failed", exc_info=True)
            raise CompassCLIError(error) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table above, so --help imports nothing.
        with formatter.section("Commands"):
            formatter.write_dl([(name, LAZY_COMMANDS[name][1]) for name in self.list_commands(ctx)])


def _not_yet(name: str, help_text: str) -> click.Command:
    @click.command(name=name, help=help_text + " (not available in this build)")
    def missing() -> None:
        raise UsageError(f"'compass {name}' is not available in this build yet")

    return missing


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(verbose: int, log_format: str) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # The HTTP clients log every request URL at INFO; keep them quiet unless asked for DEBUG.
    for noisy in ("httpx", "httpcore", "urllib3", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="COMPASS_CONFIG",
    help=f"Configuration file (env COMPASS_CONFIG; default {DEFAULT_CONFIG}).",
)
@click.option("--db", "db_url", default=None, envvar="COMPASS_DB", help="Database URL; overrides storage.url (env COMPASS_DB).")
@click.option("-v", "--verbose", count=True, help="More logging: -v for INFO, -vv for DEBUG.")
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Log line format."
)
@click.version_option(package_name="compass-chatops", prog_name="compass")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, db_url: str | None, verbose: int, log_format: str) -> None:
    """compass keeps an open-source community informed and thanked.

    It compiles community, technical and celebratory digests from meeting notes, releases and
    chat shout-outs, and posts them to Zulip, Discourse or a file outbox on a schedule.
    """
    configure_logging(verbose, log_format)
    ctx.obj = AppContext(
        config_path=config_path or Path(DEFAULT_CONFIG),
        config_explicit=config_path is not None,
        db_url=db_url,
        verbose=verbose,
        log_format=log_format,
    )


class CompassCLIError(click.ClickException):
    """A compass error shown as ``Error: ...`` with its exit code (2 for config/usage, else 1)."""

    def __init__(self, error: CompassError) -> None:
        super().__init__(str(error))
        self.exit_code = 2 if isinstance(error, (ConfigError, UsageError, DatabaseUnreachable)) else 1  # type: ignore[misc]


def _database_error(exc: BaseException, ctx: click.Context) -> CompassError | None:
    """``DatabaseUnreachable`` for SQLAlchemy's connection errors (only if SQLAlchemy was loaded), else None."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None or not isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return None
    from chatops.errors import StorageError
    from chatops.redact import mask_password
    from chatops.storage.db import is_connection_error, unreachable

    app = ctx.find_object(AppContext)
    url = None
    if app is not None:
        url = app.db_url or (app._config.database_url if app._config is not None else None)
    if is_connection_error(exc):
        return unreachable(exc, url)
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
    return StorageError(f"the database{' at ' + mask_password(url) if url else ''} refused a statement: {reason}; "
                        "is the schema current? run 'compass db upgrade'")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``compass`` console script."""
    try:
        cli.main(args=argv, prog_name="compass")
    finally:
        # The process is about to end: move every object out of the collector's reach, so that the
        # interpreter's last collections at exit do not walk them all (60-100 ms after a large
        # `notes parse`). Memory goes back to the OS with the process; files and connections are
        # closed by their own code before this point.
        import gc

        gc.freeze()


def obj(ctx: click.Context) -> AppContext:
    """The ``AppContext`` of the root group, from any subcommand."""
    app = ctx.find_object(AppContext)
    if app is None:  # a subcommand invoked directly, as tests may do
        app = AppContext(Path(os.environ.get("COMPASS_CONFIG", DEFAULT_CONFIG)), False, os.environ.get("COMPASS_DB"), 0, "text")
        ctx.obj = app
    return app
