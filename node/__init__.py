"""Coworknet node: the Flask application of one coworking space."""

from .app import create_app

__all__ = ["create_app"]
