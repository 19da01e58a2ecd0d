"""Launcher: `python -m a2c_glue.serve PORT` runs acme2certifier's WSGI app with the adapters.

Environment (set by the test fixture): ACME_SRV_CONFIGFILE (acme2certifier's own config: sqlite
database and openssl_ca_handler CA in a temporary directory), A2C_GLUE_RECORDS (the record store),
A2C_GLUE_ROOTS (test roots per format). Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from . import adapters


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


class _Threaded(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main() -> None:
    adapters.apply()
    # Imported after the adapters: the module boots acme2certifier (config, database) on import.
    from acme2certifier.share import acme2certifier_wsgi

    server = make_server("127.0.0.1", int(sys.argv[1]), acme2certifier_wsgi.application, _Threaded, _Quiet)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
