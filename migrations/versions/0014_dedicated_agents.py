"""dedicated agents: a customer's number tied to one agent of the instance, rung first

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dedicated_agent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('customer_number', sa.String(length=21), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['agent.id'],
                                name=op.f('fk_dedicated_agent_agent_id_agent'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_dedicated_agent_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dedicated_agent')),
        sa.UniqueConstraint('instance_id', 'customer_number',
                            name=op.f('uq_dedicated_agent_instance_id_customer_number')),
    )
    op.create_index(op.f('ix_dedicated_agent_agent_id'), 'dedicated_agent', ['agent_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_dedicated_agent_agent_id'), table_name='dedicated_agent')
    op.drop_table('dedicated_agent')
