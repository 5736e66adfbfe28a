"""The search by words in SQL: incidents whose number, description or address holds a text.

`LIKE '%…%'` decides on both backends. No B-tree finds a substring, and PostgreSQL's pg_trgm needs three
characters where most Chinese search words have two (pg_bigm is not packaged for Debian), so a search read every
report of its window. On PostgreSQL `incident_grams(number, description, address)` (migration 0022) lists every
character and every pair of neighbouring characters of the three texts, and the GIN index `ix_incidents_grams`
on it finds the incidents holding all the pairs of the words (the one character of a one-character word); LIKE
then confirms each of those candidates, so the answer is LIKE's, to the row. SQLite reads the window from its
words index instead (`ix_incidents_words`, 0021).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Text, func, literal, or_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from gridmap.store.tables import IncidentRow


class _Containing(FunctionElement[bool]):
    """LIKE's condition (the first argument) and the index's conditions the matches meet (the others, or-ed)."""

    inherit_cache = True
    name = "containing"


@compiles(_Containing)
def _compile_like(element: _Containing, compiler: SQLCompiler, **kw: Any) -> str:
    like = element.clauses.clauses[0]
    return f"({compiler.process(like, **kw)})"


@compiles(_Containing, "postgresql")
def _compile_indexed(element: _Containing, compiler: SQLCompiler, **kw: Any) -> str:
    like, *indexed = element.clauses.clauses
    return f"(({compiler.process(or_(*indexed), **kw)}) AND ({compiler.process(like, **kw)}))"


def grams(words: str) -> list[str]:
    """The keys of `ix_incidents_grams` that every text holding `words` has: the words' pairs of neighbouring
    characters, or their one character."""
    if len(words) < 2:
        return [words] if words else []
    return sorted({words[at : at + 2] for at in range(len(words) - 1)})


def containing(text: str) -> ColumnElement[bool]:
    """SQL for incidents whose number, description or address holds `text` (any case of the number)."""
    words = text.strip()
    number_words = words.upper()
    like = or_(
        IncidentRow.number.contains(number_words, autoescape=True),
        IncidentRow.description.contains(words, autoescape=True),
        IncidentRow.address.contains(words, autoescape=True),
    )
    if not words:  # every text holds it
        return like
    held = func.incident_grams(IncidentRow.number, IncidentRow.description, IncidentRow.address)
    # A number holds the capitals of the words, the other texts the words themselves.
    keys = sorted({tuple(grams(words)), tuple(grams(number_words))})
    indexed = [held.bool_op("@>")(literal(list(key), ARRAY(Text))) for key in keys]
    return _Containing(like, *indexed)
