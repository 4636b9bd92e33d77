"""/api/keys: API key management over HTTP (admin only). The key is shown once, at creation."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlmodel import Session

from threads.api import auth
from threads.api.deps import problems, unit_of_work
from threads.keys import KeyInfo, Principal, create_key, list_keys, revoke_key
from threads.schemas import KeyCreated, KeyCreateRequest, KeyRead, Page


def _read(info: KeyInfo) -> KeyRead:
    return KeyRead(
        name=info.name,
        role=info.role.value,
        prefix=info.prefix,
        created_at=info.created_at,
        last_used_at=info.last_used_at,
        revoked_at=info.revoked_at,
    )


class KeyController(Controller):
    path = "/api/keys"
    tags = ["keys"]
    guards = [auth.admin]
    security = [{"bearer": []}]

    @get("/", sync_to_thread=True, responses=problems(401, 403))
    @unit_of_work
    def list_keys(self, db: NamedDependency[Session]) -> Page[KeyRead]:
        """Every key (revoked ones too): name, role, prefix, times; one page holds them all.
        Never the key or its hash."""
        items = [_read(info) for info in list_keys(db)]
        return Page(items=items, total=len(items), next_cursor=None)

    @post(
        "/", sync_to_thread=True, status_code=201, responses=problems(400, 401, 403, 409, 413, 422)
    )
    @unit_of_work
    def create(
        self,
        db: NamedDependency[Session],
        key: NamedDependency[Principal],
        data: JSONBody[KeyCreateRequest],
    ) -> KeyCreated:
        """Create a key; the response is the only time the key itself is shown."""
        created = create_key(db, data.name, data.role, actor=key.actor)
        info = created.info
        return KeyCreated(
            name=info.name,
            role=info.role.value,
            prefix=info.prefix,
            created_at=info.created_at,
            key=created.secret,
        )

    @delete(
        "/{name:str}",
        sync_to_thread=True,
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    @unit_of_work
    def revoke(
        self,
        db: NamedDependency[Session],
        key: NamedDependency[Principal],
        name: Annotated[str, Parameter(min_length=1, max_length=64)],
    ) -> KeyRead:
        """Revoke a key by name: refused from then on, kept for the record."""
        return _read(revoke_key(db, name, actor=key.actor))
