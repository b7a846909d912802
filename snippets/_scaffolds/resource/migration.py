"""Create the widgets table.

Revision ID: REVISION_ID
Revises: PARENT_REVISION
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "REVISION_ID"
down_revision: str | None = "PARENT_REVISION"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "widgets",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "owner_id",
            sa.Uuid(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_widgets_owner_id",
        "widgets",
        ["owner_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_widgets_owner_id",
        table_name="widgets",
    )
    op.drop_table("widgets")
