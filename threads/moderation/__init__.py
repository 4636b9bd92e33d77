"""Moderation: pure rules returning typed decisions, the status state machine, audited actions.

- :mod:`~threads.moderation.lifecycle`: which action is allowed from which status (pure)
- :mod:`~threads.moderation.service`: ``apply_action``, ``bulk_action``
- :mod:`~threads.moderation.threads`: close/reopen, policies, auto-close, ``effective_state``
- :mod:`~threads.moderation.rules`: the automatic checks (length, links, duplicates, word list,
  pre-moderation), each returning a ``Decision``
- :mod:`~threads.moderation.submission`: ``submit_comment`` runs the checks and stores (or refuses)
- :mod:`~threads.moderation.authors`: author standing (trusted, normal, premoderated, banned) and
  rejecting all pending comments of an author
- :mod:`~threads.moderation.reports`: readers' reports
- :mod:`~threads.moderation.queue`: the moderation queue with keyset cursors
- :mod:`~threads.moderation.audit`: the append-only audit log (shared)
- :mod:`~threads.moderation.history`: a comment's or a thread's audit trail, paged
- :mod:`~threads.moderation.shapes`: queue pages, comments and events as the shapes of
  ``threads.schemas`` (what the API answers and ``--json`` prints)
"""
