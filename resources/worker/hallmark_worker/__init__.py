"""Hallmark's tabular model worker: `python -m hallmark_worker` (see ../PROTOCOL.md)."""
