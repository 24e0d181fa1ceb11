"""A local Graph API for Pages: nodes, edges, field expansion, cursors, errors, writes.

Shapes follow developers.facebook.com (Graph API reference for Page, Post, Comment,
Conversation and Message; "Paginated Results"; "Handling Errors"; "Rate Limits";
Messenger Send API). docs/simulator.md lists what differs from the real thing.
"""

from __future__ import annotations

from .app import DEFAULT_VERSION, GraphApp
from .errors import GraphError
from .fields import FieldSpec, parse_fields
from .nodes import decode_cursor, encode_cursor

__all__ = [
    "DEFAULT_VERSION",
    "FieldSpec",
    "GraphApp",
    "GraphError",
    "decode_cursor",
    "encode_cursor",
    "parse_fields",
]
