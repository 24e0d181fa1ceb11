"""Blogs (WordPress REST API, RSS 2.0 and Atom feeds): client.py + normalise.py."""

from .client import Blog, Duplicate, Refused

__all__ = ["Blog", "Duplicate", "Refused"]
