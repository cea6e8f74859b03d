"""inbound calls the IVR saw begin, until their record exists (interrupted calls)

Revision ID: 0024
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'call_start',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pbx_call_id', sa.String(length=64), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('number', sa.String(length=24), nullable=True),
        sa.Column('caller', sa.String(length=64), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_call_start_instance_id_instance'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_start')),
        sa.UniqueConstraint('pbx_call_id', name=op.f('uq_call_start_pbx_call_id')),
    )
    op.create_index(op.f('ix_call_start_instance_id'), 'call_start', ['instance_id'])
    op.create_index(op.f('ix_call_start_started_at'), 'call_start', ['started_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_call_start_started_at'), table_name='call_start')
    op.drop_index(op.f('ix_call_start_instance_id'), table_name='call_start')
    op.drop_table('call_start')
