"""call record agents: every agent who talked on a call (after transfers too), in order

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'call_record_agent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_record_id', sa.Integer(), nullable=False),
        sa.Column('extension', sa.String(length=8), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['call_record_id'], ['call_record.id'],
                                name=op.f('fk_call_record_agent_call_record_id_call_record'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_record_agent')),
        sa.UniqueConstraint('call_record_id', 'extension',
                            name=op.f('uq_call_record_agent_call_record_id_extension')),
    )
    op.create_index(op.f('ix_call_record_agent_call_record_id'), 'call_record_agent',
                    ['call_record_id'])
    op.create_index(op.f('ix_call_record_agent_extension'), 'call_record_agent', ['extension'])
    # Calls ingested before: their one recorded agent, answered when the call was.
    op.execute("INSERT INTO call_record_agent (call_record_id, extension, answered_at) "
               "SELECT id, agent_extension, COALESCE(answered_at, started_at) FROM call_record "
               "WHERE agent_extension IS NOT NULL")


def downgrade() -> None:
    op.drop_index(op.f('ix_call_record_agent_extension'), table_name='call_record_agent')
    op.drop_index(op.f('ix_call_record_agent_call_record_id'), table_name='call_record_agent')
    op.drop_table('call_record_agent')
