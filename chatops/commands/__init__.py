"""Chat commands: one module per command, one dispatcher shared by every chat adapter.

- ``dispatcher``: ``Dispatcher`` claims each message once in the database, runs its command, and sends
  the reply through ``digests.mentions.for_zulip`` (no notifying mention ever leaves compass);
- ``registry``: the commands in help order, and typo-forgiving lookup (``shoutuot`` -> ``shoutout``);
- ``base``: ``Command``, ``CommandContext``, ``Reply``, ``CommandError``;
- ``shoutout``, ``shoutouts``, ``undo``, ``edit``, ``help``; admin only: ``digest``, ``schedule``, ``pause``
  (pause and resume);
- reviewers (digests with ``review:``): ``approve``, ``hold``, ``skip``, ``draft``, ``review`` (sharing
  ``reviewing``: the digest named, the ``ReviewService`` port, work after the claim commits);
- ``mentions`` reads Zulip mention syntax, ``format`` shows people and shout-outs in replies.

To add a command, write ``chatops/commands/<name>.py`` exposing a ``Command`` and list it in
``registry.COMMANDS``; it sees the chat only through ``ctx.chat`` (a ``ChatPort``).
"""
