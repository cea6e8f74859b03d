"""Gunicorn's settings for the web app, from the same environment as every ccc process.

    gunicorn --config python:webadmin.server 'webadmin:create_app()'

Where to listen (``CCC_WEB_BIND``, ``CCC_WEB_PORT``), TLS (``CCC_TLS``: the site's one
certificate, generated on first use), how much to log (``CCC_LOG_LEVEL``, to stderr:
the journal under systemd). Threads, not processes, carry the requests: the
workbench keeps one server-sent event stream open per agent, and each worker keeps one
live feed of agents' states from the PBX.
"""
from __future__ import annotations

import sys

from engine.settings import load_settings
from provisioning.tls import certificate

_settings = load_settings()

bind = [f"[{_settings.web_bind}]:{_settings.web_port}" if ":" in _settings.web_bind
        else f"{_settings.web_bind}:{_settings.web_port}"]
worker_class = "gthread"
workers = 2
# Each open workbench holds a thread for its event stream.
threads = 64
# Event streams stay open; a worker is only restarted when it stops answering at all.
timeout = 120
graceful_timeout = 20
loglevel = _settings.log_level.lower()
errorlog = "-"
accesslog = "-"
# The journal stamps each line itself.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": _settings.log_level, "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": _settings.log_level, "handlers": ["console"],
                           "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "stream": "ext://sys.stderr"}},
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
}

if _settings.tls:
    _cert, _key = certificate(_settings, log=lambda line: print(line, file=sys.stderr))
    certfile, keyfile = str(_cert), str(_key)
