"""Sustainable procurement analysis: workspace, loaders and queries behind the dashboard."""

__version__ = "0.1.0"
