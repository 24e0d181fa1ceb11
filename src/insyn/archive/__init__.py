"""The archive: items (posts, comments, replies, messages), their versions and state history,
the raw capture log they are derived from, media, and search."""
