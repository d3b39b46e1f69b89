"""``python -m tests.fault.node_process PORT INTERVAL``: one node as deployed in a process of
its own: its app served on ``PORT`` and its scheduler (``coworknet sync``'s loop, a round every
``INTERVAL`` seconds) on a thread. Settings come as JSON on standard input; it prints
``ready`` once it listens. The fault suite runs it under libfaketime to move one node's clock
(the real clock of that process, the one its signatures and checks read)."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time

from werkzeug.serving import make_server

from node import create_app
from node.federation import scheduler
from node.federation.keyring import RUNTIME_INFO_KEY


def main() -> None:
    # libfaketime 0.9.10 with a real monotonic clock (FAKETIME_DONT_FAKE_MONOTONIC) refuses
    # Python's absolute-time sleep (EINVAL); a timed wait sleeps the same.
    time.sleep = lambda seconds: threading.Event().wait(seconds)
    port, interval = int(sys.argv[1]), float(sys.argv[2])
    app = create_app(json.load(sys.stdin))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=scheduler.run_forever, args=(app.extensions[RUNTIME_INFO_KEY], interval),
                     daemon=True).start()
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
