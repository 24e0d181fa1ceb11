"""Static files: compressed and hashed by WhiteNoise, tolerant of files not yet collected.

A page must not fail because `collectstatic` has not run (the test suite, a development
checkout); the unhashed URL is used then, and WhiteNoise's finders serve it.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def url(self, name, force=False):
        try:
            return super().url(name, force)
        except ValueError:
            return FileSystemStorage.url(self, name)
