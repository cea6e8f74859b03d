"""agents sign in to the workbench: a password, and one-time invitations to choose one

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agent') as batch:
        batch.add_column(sa.Column('password_hash', sa.String(length=256), nullable=True))
    op.create_table(
        'agent_invitation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['agent_id'], ['agent.id'],
                                name=op.f('fk_agent_invitation_agent_id_agent'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_invitation')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_agent_invitation_token_hash')),
    )


def downgrade() -> None:
    op.drop_table('agent_invitation')
    with op.batch_alter_table('agent') as batch:
        batch.drop_column('password_hash')
