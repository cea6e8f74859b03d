"""ingestion cursors keep the inode of the file they read, to follow a journal's
rotation

Revision ID: 0023
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ingest_cursor') as batch_op:
        batch_op.add_column(sa.Column('inode', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ingest_cursor') as batch_op:
        batch_op.drop_column('inode')
