"""reports: the IVR's per-call tracking and the agents' holds

Revision ID: 0021
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'call_hold',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('pbx_call_id', sa.String(length=64), nullable=False),
        sa.Column('channel_uniqueid', sa.String(length=64), nullable=False),
        sa.Column('agent_extension', sa.String(length=8), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_call_hold_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_hold')),
        sa.UniqueConstraint('channel_uniqueid', 'started_at',
                            name=op.f('uq_call_hold_channel_uniqueid_started_at')),
    )
    op.create_index('ix_call_hold_instance_started_at', 'call_hold',
                    ['instance_id', 'started_at'])
    op.create_index(op.f('ix_call_hold_pbx_call_id'), 'call_hold', ['pbx_call_id'])
    op.create_table(
        'ivr_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('flow_id', sa.Integer(), nullable=True),
        sa.Column('flow_version_id', sa.Integer(), nullable=True),
        sa.Column('pbx_call_id', sa.String(length=64), nullable=False),
        sa.Column('number', sa.String(length=24), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=False),
        sa.Column('trail', sa.String(length=1024), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_ivr_session_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['flow_id'], ['ivr_flow.id'],
                                name=op.f('fk_ivr_session_flow_id_ivr_flow'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['flow_version_id'], ['ivr_flow_version.id'],
                                name=op.f('fk_ivr_session_flow_version_id_ivr_flow_version'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_session')),
        sa.UniqueConstraint('pbx_call_id', 'started_at',
                            name=op.f('uq_ivr_session_pbx_call_id_started_at')),
    )
    op.create_index('ix_ivr_session_instance_started_at', 'ivr_session',
                    ['instance_id', 'started_at'])


def downgrade() -> None:
    op.drop_index('ix_ivr_session_instance_started_at', table_name='ivr_session')
    op.drop_table('ivr_session')
    op.drop_index(op.f('ix_call_hold_pbx_call_id'), table_name='call_hold')
    op.drop_index('ix_call_hold_instance_started_at', table_name='call_hold')
    op.drop_table('call_hold')
