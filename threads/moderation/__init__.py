"""Moderation: pure rules returning typed decisions, the status state machine, audited actions."""
