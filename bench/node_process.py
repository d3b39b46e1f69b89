"""``python -m bench.node_process PORT``: serve a node in a process of its own, as a real
peer runs (its work does not share the measuring process's interpreter). The node's settings
come as JSON on standard input; it prints ``ready`` once it listens."""

from __future__ import annotations

import json
import logging
import sys

from werkzeug.serving import make_server

from node import create_app


def main() -> None:
    port = int(sys.argv[1])
    app = create_app(json.load(sys.stdin))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", port, app, threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
