"""photo public tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 00:55:00.000000
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_token", sa.String(length=48), nullable=True))
        batch_op.create_unique_constraint("uq_photo_public_token", ["public_token"])
    # Photos stored before get their token now, so every photo has a public URL.
    photo = sa.table("photo", sa.column("id", sa.Integer), sa.column("public_token", sa.String))
    connection = op.get_bind()
    for (photo_id,) in connection.execute(sa.select(photo.c.id)).all():
        connection.execute(
            photo.update()
            .where(photo.c.id == photo_id)
            .values(public_token=secrets.token_urlsafe(24))
        )


def downgrade() -> None:
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_constraint("uq_photo_public_token", type_="unique")
        batch_op.drop_column("public_token")
