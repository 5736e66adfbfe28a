"""`python -m gridmap` runs the gridmap command."""

from gridmap.cli import app

app()
