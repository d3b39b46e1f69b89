"""gunicorn's master warms the app before it forks its workers (node/wsgi.py): every template
is compiled, the thesaurus and each language's catalogs are loaded, and the long-lived objects
are frozen out of the collector's sight, so a worker starts (or is recycled) warm."""

from __future__ import annotations

import gc

from node.app import GC_YOUNG_THRESHOLD, warm
from node.members.thesaurus import get_thesaurus


def test_warm_compiles_every_template_and_loads_the_shared_data(app):
    get_thesaurus.cache_clear()
    app.jinja_env.cache.clear()
    thresholds = gc.get_threshold()
    try:
        warm(app)
        compiled = {name for _loader, name in app.jinja_env.cache}
        assert set(app.jinja_env.list_templates(extensions=("html",))) <= compiled
        assert get_thesaurus.cache_info().currsize == 1
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
