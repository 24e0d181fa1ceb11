"""The append-only, hash-chained event log: every change in Insyn is one entry here."""
