"""IVR flows: at most one draft per flow

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

DRAFT = sa.text("state = 'draft'")


def upgrade() -> None:
    # A partial unique index: published versions are many, the draft is one.
    op.create_index("uq_ivr_flow_version_one_draft", "ivr_flow_version", ["flow_id"],
                    unique=True, sqlite_where=DRAFT, postgresql_where=DRAFT)


def downgrade() -> None:
    op.drop_index("uq_ivr_flow_version_one_draft", table_name="ivr_flow_version")
