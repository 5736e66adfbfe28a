"""Incident privacy: reporter contacts apart from the incident, and user scopes.

Residents' names move from `incidents.reporter` into `incident_contacts` (the incident and its trail then
say "resident"); users get a nullable `scope`, the code prefix of a dispatcher's community or street.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESIDENT = "resident"
# The reporting page's old default name: not a person, so it becomes no contact.
_NO_NAME = ("", "居民", RESIDENT)
# Incidents a resident reported: the first entry (the report) of their trail has the role resident.
_BY_RESIDENT = "SELECT incident_id FROM incident_audit WHERE seq = 0 AND role = 'resident'"


def upgrade() -> None:
    """Add users.scope and incident_contacts; move residents' names there and out of incidents and trails."""
    # Plain ADD COLUMN works on both backends (no table rebuild on SQLite).
    op.add_column("users", sa.Column("scope", sa.String(32), nullable=True))
    op.create_table(
        "incident_contacts",
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_because", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("incident_id", name="pk_incident_contacts"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_incident_contacts_incident_id_incidents", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_incident_contacts_name", "incident_contacts", ["name"])
    op.create_index("ix_incident_contacts_phone", "incident_contacts", ["phone"])
    no_name = ", ".join(f"'{name}'" for name in _NO_NAME)
    op.execute(
        "INSERT INTO incident_contacts (incident_id, name) "
        f"SELECT id, reporter FROM incidents WHERE id IN ({_BY_RESIDENT}) AND reporter NOT IN ({no_name})"
    )
    op.execute(f"UPDATE incidents SET reporter = '{RESIDENT}' WHERE id IN ({_BY_RESIDENT})")
    op.execute(f"UPDATE incident_audit SET actor = '{RESIDENT}' WHERE role = 'resident'")


def downgrade() -> None:
    """Put residents' names back into incidents and their trails, then drop the contacts and users.scope."""
    named = "(SELECT name FROM incident_contacts c WHERE c.incident_id = {table}.{column} AND c.name IS NOT NULL)"
    op.execute(
        f"UPDATE incidents SET reporter = {named.format(table='incidents', column='id')} "
        f"WHERE {named.format(table='incidents', column='id')} IS NOT NULL"
    )
    audit_name = named.format(table="incident_audit", column="incident_id")
    op.execute(f"UPDATE incident_audit SET actor = {audit_name} WHERE role = 'resident' AND {audit_name} IS NOT NULL")
    op.drop_table("incident_contacts")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("scope")
