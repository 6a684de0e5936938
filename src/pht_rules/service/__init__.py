# SPDX-License-Identifier: MIT
"""The CDS Hooks 2.0 service of pht_rules (needs the ``service`` extra).

- :func:`create_app` builds the FastAPI application from :class:`ServiceSettings`.
- :func:`add_serve_arguments` / :func:`run_serve` mount ``pht-rules serve`` on a command line;
  :func:`serve` runs it standalone (``python -m pht_rules.service``).
- :class:`FeedbackStore` reads back the feedback recorded, attributed to rules.

FastAPI, uvicorn, SQLAlchemy and PyJWT are imported only when this package is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pht_rules.service.cli import add_serve_arguments, run_serve, serve, settings_from_args
from pht_rules.service.settings import ServiceSettings, TrustedIssuer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from pht_rules.service.store import FeedbackStore

__all__ = [
    "FeedbackStore",
    "ServiceSettings",
    "TrustedIssuer",
    "add_serve_arguments",
    "create_app",
    "run_serve",
    "serve",
    "settings_from_args",
]


def create_app(settings: ServiceSettings) -> FastAPI:
    """Build the service application; see :func:`pht_rules.service.app.create_app`."""
    from pht_rules.service.app import create_app as _create_app

    return _create_app(settings)


def __getattr__(name: str) -> Any:
    if name == "FeedbackStore":
        from pht_rules.service.store import FeedbackStore

        return FeedbackStore
    raise AttributeError(name)
