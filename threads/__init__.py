"""threads: comment-thread moderation and discussion analyzer.

The front door is :class:`threads.Database` (``threads/database.py``)::

    import threads
    db = threads.Database("threads.db")
    db.ingest(["fixtures/blogger-china-iran-relationship.txt"])
    db.classify()
    report = db.report(all_threads=True)
"""

from __future__ import annotations

from typing import Any

__all__ = ["Database", "__version__"]


def __getattr__(name: str) -> Any:
    # looked up on first use (reading the installed metadata costs ~50 ms, which every command
    # would pay at start otherwise)
    if name == "Database":  # imported on first use: `threads` commands start without it
        from threads.database import Database

        globals()["Database"] = Database
        return Database
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("threads")
        except PackageNotFoundError:  # running from a source tree that is not installed
            found = "0.0.0+local"
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
