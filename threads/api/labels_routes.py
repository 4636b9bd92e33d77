"""/api/comments/{id}/labels: a moderator's topic labels (present once threads.topics is)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlmodel import Session

from threads.api import auth
from threads.api.deps import problems, unit_of_work
from threads.keys import Principal
from threads.schemas import MAX_ID, LabelsRequest, LabelsResponse
from threads.topics.labels import set_labels

CommentId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="comment id")]


class LabelController(Controller):
    path = "/api/comments"
    tags = ["comments"]

    @post(
        "/{comment_id:int}/labels",
        sync_to_thread=True,
        guards=[auth.moderator],
        status_code=200,
        responses=problems(400, 401, 403, 404, 413, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def label(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        key: NamedDependency[Principal],
        comment_id: CommentId,
        data: JSONBody[LabelsRequest],
    ) -> LabelsResponse:
        """Add or remove topic labels on a comment (moderator+); a removal is kept as the
        moderator's "not this topic". The newest moderator label of a topic wins over older ones
        and over the automatic label. Labels belong to the server's codebook. Audited.
        """
        topics = set_labels(
            db,
            comment_id,
            add=list(data.add),
            remove=list(data.remove),
            actor=key.actor,
            taxonomy=request.app.state.taxonomy,
        )
        return LabelsResponse(comment_id=comment_id, topics=topics)
