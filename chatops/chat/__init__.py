"""Chat adapters and the ports and inbox they share.

- ``ports``: ``ChatPort`` (send a reply, add a reaction), ``IncomingMessage``, ``MessageEdit``, the
  ``CommandHandler`` port (the command layer as adapters see it) and ``StubChat`` for tests;
- ``inbox``: ``Inbox``, platform-neutral: worker threads in order per sender, batching, back-pressure,
  retries, reactions after replies;
- ``zulip``: ``ZulipBot`` (event queue, backoff, catch-up) and ``ZulipChat``;
- ``console``: ``ConsoleChat``, behind ``compass chat``.

Adapters turn platform payloads into ``IncomingMessage`` at the edge and hand them to a ``CommandHandler``
(``chatops.commands.dispatcher.Dispatcher``); they never import the command layer, and commands never
import an adapter. ``chatops.wiring`` puts the stack together.
"""
