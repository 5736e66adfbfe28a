"""Incidents (issue 5): the storage-free core of reporting, routing, workflow, Open311, photos and statistics.

Nothing here touches the store or the web framework; the API and the store wrap these pure pieces.
"""
