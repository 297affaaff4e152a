"""concern street key

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 18:00:00

Concerns stored before this revision have no street key: "me too" keeps them among the
candidates at any street (a superset, checked in Python as before) until they are older than
`duplicates.max_age_days`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("concern") as batch_op:
        batch_op.add_column(sa.Column("street_key", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_concern_category_street", ["category", "street_key"])


def downgrade() -> None:
    with op.batch_alter_table("concern") as batch_op:
        batch_op.drop_index("ix_concern_category_street")
        batch_op.drop_column("street_key")
