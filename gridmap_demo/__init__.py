"""Generators of the demo and test data (the Shouning county town, its broken twin, households, incidents).

Not part of the installed `gridmap` package, which never imports it: tests, benchmarks and the repository's
`data/` folder use it. Its command line is `python -m gridmap_demo` (see gridmap_demo.cli).
"""
