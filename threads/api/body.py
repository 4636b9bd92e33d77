"""JSON request bodies with a nesting limit.

No body of ours goes deeper than three levels (a bulk request's filter holds a list of
statuses), so a body nested deeper than :data:`MAX_JSON_DEPTH` is refused as a 400
``invalid_request`` before any handler sees it. Without the limit, a 2 KB body of 1,000 ``[``
made the decoder raise RecursionError, which answered 500; the decoder's own recursion limit
is still caught here, so no depth of nesting reaches the error table as anything but a 400.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

#: the deepest nesting of arrays and objects a JSON body may have (the top level is 1)
MAX_JSON_DEPTH = 32

_TOO_DEEP = f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep"


def json_depth_within(value: Any, limit: int) -> bool:
    """True when ``value`` (decoded JSON) nests arrays and objects at most ``limit`` deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


class BoundedJsonRequest(Request[Any, Any, Any]):
    """Litestar's request whose JSON body is refused (400) when nested too deeply."""

    async def json(self) -> Any:
        try:
            value = await super().json()
        except RecursionError:
            raise SerializationException(_TOO_DEEP) from None
        if not json_depth_within(value, MAX_JSON_DEPTH):
            raise SerializationException(_TOO_DEEP)
        return value
