"""The dashboard and JSON API (FastAPI + Jinja2, charts as server-rendered SVG)."""
