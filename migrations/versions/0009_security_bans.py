"""addresses the PBX refuses for a while after too many failed sign-ins

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'security_ban',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=45), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('lifted_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_security_ban')),
    )
    op.create_index(op.f('ix_security_ban_address'), 'security_ban', ['address'])


def downgrade() -> None:
    op.drop_index(op.f('ix_security_ban_address'), table_name='security_ban')
    op.drop_table('security_ban')
