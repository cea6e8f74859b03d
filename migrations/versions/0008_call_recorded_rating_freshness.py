"""call records say whether the call was recorded (recording storage is billed on it);
a rating run keeps the newest call record it saw (a later one makes it out of date)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('call_record') as batch:
        batch.add_column(sa.Column('recorded', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table('rating_run') as batch:
        batch.add_column(sa.Column('last_call_id', sa.Integer(), nullable=False,
                                   server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('rating_run') as batch:
        batch.drop_column('last_call_id')
    with op.batch_alter_table('call_record') as batch:
        batch.drop_column('recorded')
