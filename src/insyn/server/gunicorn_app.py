"""gunicorn, embedded, so `insyn serve` needs no separate configuration file."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class InsynServer(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        from insyn.wsgi import application

        return application
