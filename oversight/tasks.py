"""Oversight's job runner ("oversight_report") is registered when the worker imports this module (autodiscovery)."""

from . import reports  # noqa: F401
