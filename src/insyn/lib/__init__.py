"""Django-free helpers named by topic; nothing here imports an app or Django."""
