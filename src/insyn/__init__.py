"""Insyn: social media as public records for Swedish authorities."""
