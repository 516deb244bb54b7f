"""Assembling the chat stack: the one place that puts a chat adapter, the inbox, the commands and the service together.

    adapter (chatops.chat.zulip / console) ──> Inbox (chatops.chat.inbox) ──> CommandHandler port
        ──> Dispatcher (chatops.commands) ──> CompassChat ──> Compass (chatops.service)

Adapters know only the ports in ``chatops.chat.ports``; commands never import an adapter; so something
above both must build the stack: ``compass run`` (``chatops.cli.run``), ``compass chat``, the tests and the
benchmarks call these functions.

Example usage::

    bot = zulip_bot(config, database)             # ZulipBot with its own Compass
    threading.Thread(target=bot.run, args=(stop,)).start()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatops.chat.zulip import ZulipBot
    from chatops.commands.base import DigestService
    from chatops.commands.dispatcher import Dispatcher
    from chatops.config import Config
    from chatops.service import Compass
    from chatops.storage.db import Database

__all__ = ["chat_handler", "zulip_bot"]


def chat_handler(
    config: Config | None,
    database: Database,
    *,
    compass: Compass | None = None,
    digests: DigestService | None = None,
    config_source: Callable[[], Config | None] | None = None,
    **options: Any,
) -> Dispatcher:
    """The command layer for ``config`` and ``database``: a ``Dispatcher`` whose digest commands go through
    ``digests`` (default: a ``CompassChat`` over ``compass``, or over a new ``Compass`` for ``config``).
    ``options`` go to the ``Dispatcher`` (``clock``, ``bot_id``...)."""
    from chatops.commands.dispatcher import Dispatcher
    from chatops.service import Compass, CompassChat

    if digests is None and config is not None:
        service = CompassChat(compass if compass is not None else Compass(config, database=database))
        digests = service
        if config_source is None and compass is not None:
            config_source = service.current_config
    return Dispatcher(database=database, config=config, digests=digests, config_source=config_source, **options)


def zulip_bot(
    config: Config,
    database: Database,
    *,
    compass: Compass | None = None,
    digests: DigestService | None = None,
    **options: Any,
) -> ZulipBot:
    """A ``ZulipBot`` over the command layer of ``chat_handler``; ``options`` go to ``ZulipBot``
    (``workers``, ``backoff``, ``client_factory``...). With ``compass`` (``compass run``), reloads of its
    configuration reach the chat commands."""
    from chatops.chat.zulip import ZulipBot

    return ZulipBot(config, chat_handler(config, database, compass=compass, digests=digests), **options)
