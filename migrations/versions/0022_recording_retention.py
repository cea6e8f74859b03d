"""recording retention: how long an account keeps its calls' recordings, when one was
purged; supervision log rows whose end was found rather than reported

Revision ID: 0022
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing accounts keep their recordings until their owner sets a period.
    with op.batch_alter_table('account') as batch:
        batch.add_column(sa.Column('recording_retention_days', sa.Integer(), nullable=True))
    with op.batch_alter_table('call_recording') as batch:
        batch.add_column(sa.Column('purged_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('supervision_log') as batch:
        batch.add_column(sa.Column('end_found', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('supervision_log') as batch:
        batch.drop_column('end_found')
    with op.batch_alter_table('call_recording') as batch:
        batch.drop_column('purged_at')
    with op.batch_alter_table('account') as batch:
        batch.drop_column('recording_retention_days')
