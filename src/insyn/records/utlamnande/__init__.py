"""Requests for records (begäran om allmän handling, utlämnande) and the GDPR duties (R30, R29)."""
