"""Exporters: the lossless JSONL archive, WXR, Disqus XML and CSV."""
