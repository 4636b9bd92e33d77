"""Summaries as plain JSON-ready data: the reports are built here, rendered elsewhere."""
