"""Gunicorn settings for a Coworknet node: ``gunicorn -c deploy/gunicorn.conf.py 'node.wsgi:app'``.

Every value can be changed from the environment, so the same file serves systemd, the Docker
image and the tests. The access log records no personal data: no client address, no query
string (a search or a token could be in it), no referrer, no user agent.

Slow clients. gunicorn is never exposed: it listens on loopback (or, in the compose file, on
a network only the proxy reaches) behind Caddy or nginx, whose shipped configurations
(deploy/caddy/Caddyfile, deploy/nginx.conf.example) read each request whole, with header
and body timeouts, and buffer each answer, before a worker sees it: a client that dribbles
bytes (slowloris) holds a proxy connection, never a worker. Here, always threaded workers
(``gthread``: a connection waiting for its request costs a poller entry, not a process) with
at least two threads, a short worker timeout, and bounded request lines and headers.
``tests/deploy/test_slow_clients.py`` checks these settings and the proxies'."""

import os

bind = os.environ.get("COWORKNET_BIND", "127.0.0.1:8000")
# One worker per core, two threads each: a request spends most of its time in Python, so more
# processes or threads than cores only make them take turns at the cores and at each worker's
# interpreter lock. Measured (bench/RESULTS.md, 2 cores, at saturation): 2 workers × 2
# threads served 9–25 % more requests per second than 3 × 4, with 10–25 % less CPU per request.
workers = int(os.environ.get("COWORKNET_WORKERS", "0")) or max(2, os.cpu_count() or 1)
# Never sync workers: one slow client would hold a whole process.
threads = max(2, int(os.environ.get("COWORKNET_THREADS", "2")))
worker_class = "gthread"
timeout = min(60, int(os.environ.get("COWORKNET_TIMEOUT", "30")))
# Connections one worker holds at most (gunicorn's default is 1000). A worker's accepting thread
# takes every connection it can, and a kept-alive connection stays with the worker that took
# it: when a worker is recycled, the clients it served reconnect at once and the other worker,
# already running, took them all — it then served alone, two threads for every client, until
# the next recycle (measured at 32 clients: 93 requests/s and 60 % of the cores busy, against
# 129 requests/s and 97 % with this cap). With the cap a worker keeps at most this many, closes
# the extra kept-alive ones after their answer, and the new worker gets the rest.
worker_connections = max(8, int(os.environ.get("COWORKNET_WORKER_CONNECTIONS", str(8 * threads))))
# Requests are bounded before the application reads them (the proxy bounds them too).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow for ever.
max_requests = int(os.environ.get("COWORKNET_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Fail at start-up (bad secret, unreachable database) rather than in every worker; and the
# master warms the app (templates, thesaurus, catalogs: node.wsgi) so workers fork warm.
preload_app = os.environ.get("COWORKNET_PRELOAD", "1") == "1"

# Only the reverse proxy may set X-Forwarded-*; the node's COWORKNET_PROXY_FIX_X_FOR=1 then
# reads the client's address from it.
forwarded_allow_ips = os.environ.get("COWORKNET_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips

accesslog = os.environ.get("COWORKNET_ACCESS_LOG", "-")
errorlog = os.environ.get("COWORKNET_ERROR_LOG", "-")
loglevel = os.environ.get("COWORKNET_LOG_LEVEL", "info").lower()
# %(U)s is the path without the query string; no %(h)s, %(r)s, %(f)s, %(a)s.
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
