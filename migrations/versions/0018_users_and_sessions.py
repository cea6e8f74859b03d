"""users and sessions: disabled users, a session version that ends every session of a
user, and a hint that tells API tokens apart

Revision ID: 0018
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('disabled', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                   server_default='0'))
    with op.batch_alter_table('api_token') as batch:
        batch.add_column(sa.Column('hint', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.drop_column('hint')
    with op.batch_alter_table('user') as batch:
        batch.drop_column('session_version')
        batch.drop_column('disabled')
