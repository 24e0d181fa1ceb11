"""Records management: diarium registration (OSL 5 kap.), retention classes and gallring
under recorded decisions, legal holds. Builds on the archive; see docs/records.md."""
