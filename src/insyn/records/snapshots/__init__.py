"""Snapshots (ögonblicksbilder, R25): per account and period, a screenshot of the account's
public page, a PDF/A of Insyn's copy of the period's posts and comments, a WARC of what was
fetched, and an edited summary. See docs/snapshots.md."""
