"""Temporal activities: the workflows' only door to I/O (STYLE pattern 6)."""
