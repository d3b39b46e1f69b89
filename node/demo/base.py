"""What every demo seed step receives: one demo node (its slug, its entry of
``deploy/demo/spaces.json``, its app)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask


@dataclass
class DemoNode:
    slug: str
    spec: dict
    app: Flask

    @property
    def url(self) -> str:
        return self.app.config["BASE_URL"]
