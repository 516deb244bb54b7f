"""Chat adapters: the port commands talk to, and its implementations.

- ``ports``: ``ChatPort`` (send a reply, add a reaction), ``IncomingMessage``, ``MessageEdit``, and
  ``StubChat`` for tests;
- ``zulip``: ``ZulipBot`` (event queue, backoff, catch-up, worker threads) and ``ZulipChat``;
- ``console``: ``ConsoleChat``, behind ``compass chat``.

Adapters turn platform payloads into ``IncomingMessage`` at the edge and hand them to the one command
layer, ``chatops.commands.dispatcher.Dispatcher``.
"""
