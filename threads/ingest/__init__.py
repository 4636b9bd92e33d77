"""Readers of comment sections: one module per source format, all producing ParsedThread."""
