"""threads: comment-thread moderation and discussion analyzer."""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    # looked up on first use (reading the installed metadata costs ~50 ms, which every command
    # would pay at start otherwise)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("threads")
        except PackageNotFoundError:  # running from a source tree that is not installed
            found = "0.0.0+local"
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
