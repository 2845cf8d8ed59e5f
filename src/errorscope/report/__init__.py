"""Self-contained HTML reports (needs ``pip install 'errorscope[report]'``).

:class:`ReportContext` holds plain tables (summary, factors, metaclass breakdown, taxonomy, comparison, mistakes,
figures, thumbnails); :func:`build_report` renders it with jinja2 into one HTML file with inline CSS, JS and images,
which opens with no network. :meth:`ReportContext.from_population` computes the tables from predictions.
"""

from __future__ import annotations

from .context import ReportContext
from .html import build_report, write_report

__all__ = ["ReportContext", "build_report", "write_report"]
