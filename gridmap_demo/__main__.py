"""`python -m gridmap_demo`: generate the sample data."""

from gridmap_demo.cli import app

app(prog_name="python -m gridmap_demo")
