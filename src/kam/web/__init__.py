"""The web workspace: FastAPI, server-rendered Jinja2 pages, Plotly charts.

>>> from kam.web import create_app     # doctest: +SKIP
>>> app = create_app(settings)         # doctest: +SKIP
"""

from kam.web.app import create_app
from kam.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
