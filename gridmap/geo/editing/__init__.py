"""Topological editing of a grid coverage: operations that keep shared borders shared on every level."""
