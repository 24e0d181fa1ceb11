"""Capture: the raw log (webhooks, polls, imports) and its normalisation into the archive."""
