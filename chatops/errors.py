"""Exceptions raised by ``chatops``; the hierarchy continues the one in ``digests.errors``.

    CompassError
     ├── ConfigError(path, problems)        configuration could not be loaded or is invalid  -> exit 2
     ├── UsageError                         a command was called with inputs it cannot use   -> exit 2
     ├── StorageError                       the database could not be reached or migrated
     │    └── DatabaseUnreachable           no connection to storage.url (server down, wrong URL) -> exit 2
     ├── SourceError(source, reason)        a notes or release source failed (reported, then skipped)
     └── PublishError(target, reason)       a target refused or failed a publication
          ├── RateLimited(retry_after)      429: wait, then retry
          ├── AuthError                     credentials refused: not retried
          ├── PostRejectedError             the platform refused the post itself: not retried
          └── MessageTooLong(limit)         the platform's length limit was exceeded

Only ``chatops.cli`` turns these into exit codes: ``ConfigError``/``UsageError``/``DatabaseUnreachable`` -> 2,
any other ``CompassError`` -> 1.
"""

from __future__ import annotations

from digests.errors import CompassError

__all__ = [
    "AuthError",
    "CompassError",
    "ConfigError",
    "DatabaseUnreachable",
    "MessageTooLong",
    "PostRejectedError",
    "PublishError",
    "RateLimited",
    "SourceError",
    "StorageError",
    "UsageError",
]


class ConfigError(CompassError):
    """The configuration file is missing, unreadable or invalid.

    ``problems`` is a list of one-line messages, each naming the key path, the bad value and the
    expected form.
    """

    def __init__(self, path: str, problems: list[str] | str) -> None:
        self.path = path
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        lines = [f"{path}: {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class UsageError(CompassError):
    """A command got inputs it cannot work with (a bad path, an unknown digest name...)."""


class StorageError(CompassError):
    pass


class DatabaseUnreachable(StorageError):
    """No connection to the configured database; the message is one line, with the URL's password masked."""


class SourceError(CompassError):
    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class PublishError(CompassError):
    retryable = True

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"{target}: {reason}")


class RateLimited(PublishError):
    def __init__(self, target: str, retry_after: float, reason: str = "rate limited") -> None:
        self.retry_after = retry_after
        super().__init__(target, f"{reason} (retry after {retry_after:g} s)")


class AuthError(PublishError):
    retryable = False


class PostRejectedError(PublishError):
    """The platform refused the post itself (HTTP 400/422: a duplicate title, a missing category...).

    Retrying the same post cannot help, so it is not retried; the reason names what to change.
    """

    retryable = False


class MessageTooLong(PublishError):
    retryable = False

    def __init__(self, target: str, limit: int, length: int) -> None:
        self.limit = limit
        self.length = length
        super().__init__(target, f"{length} characters is over the limit of {limit}")
