"""gridmap: community grid management (网格化管理) on maps."""

__version__ = "0.1.0"
