"""compass's runtime: chat adapters, commands, scheduler, publishing, storage and the CLI.

Kept thin: the work of understanding notes and writing digests lives in ``digests``.
"""

__version__ = "0.1.0"
