"""``python -m bench.node_process PORT [--scheduler SECONDS]``: serve a node in a process of its
own, as a real peer runs (its work does not share the measuring process's interpreter); with
``--scheduler``, the process also runs the node's scheduler (``coworknet sync``'s loop: a round
every SECONDS and, in between, the short loop of hints) on a thread of its own. The node's
settings come as JSON on standard input; it prints ``ready`` once it listens."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading

from werkzeug.serving import make_server

from node import create_app
from node.federation import scheduler
from node.federation.keyring import RUNTIME_INFO_KEY


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.node_process")
    parser.add_argument("port", type=int)
    parser.add_argument("--scheduler", type=float, default=None, metavar="SECONDS")
    args = parser.parse_args()
    app = create_app(json.load(sys.stdin))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    if args.scheduler is not None:
        threading.Thread(target=scheduler.run_forever,
                         args=(app.extensions[RUNTIME_INFO_KEY], args.scheduler),
                         name="scheduler", daemon=True).start()
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
