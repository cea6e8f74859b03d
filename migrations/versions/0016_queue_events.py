"""queue events: the PBX's queue log, ingested for the reports, and the calls' visits to
queues built from it; each skill group's service-level threshold

Revision ID: 0016
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'queue_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('line_digest', sa.String(length=40), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('skill_group_id', sa.Integer(), nullable=True),
        sa.Column('queue', sa.String(length=80), nullable=False),
        sa.Column('agent_extension', sa.String(length=8), nullable=True),
        sa.Column('event', sa.String(length=24), nullable=False),
        sa.Column('call_id', sa.String(length=64), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('data1', sa.String(length=80), nullable=False),
        sa.Column('data2', sa.String(length=80), nullable=False),
        sa.Column('data3', sa.String(length=80), nullable=False),
        sa.Column('data4', sa.String(length=80), nullable=False),
        sa.Column('data5', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_queue_event_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['skill_group_id'], ['skill_group.id'],
                                name=op.f('fk_queue_event_skill_group_id_skill_group'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_event')),
        sa.UniqueConstraint('line_digest', name=op.f('uq_queue_event_line_digest')),
    )
    op.create_index('ix_queue_event_instance_at', 'queue_event', ['instance_id', 'at'])
    op.create_index('ix_queue_event_instance_event_at', 'queue_event',
                    ['instance_id', 'event', 'at'])
    op.create_index(op.f('ix_queue_event_call_id'), 'queue_event', ['call_id'])
    op.create_table(
        'queue_call',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('skill_group_id', sa.Integer(), nullable=True),
        sa.Column('queue', sa.String(length=80), nullable=False),
        sa.Column('call_id', sa.String(length=64), nullable=False),
        sa.Column('entered_at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('agent_extension', sa.String(length=8), nullable=True),
        sa.Column('wait_seconds', sa.Float(), nullable=False),
        sa.Column('talk_seconds', sa.Float(), nullable=True),
        sa.Column('rang_agent', sa.Boolean(), nullable=False),
        sa.Column('exit_key', sa.String(length=8), nullable=True),
        sa.Column('transferred_in', sa.Boolean(), nullable=False),
        sa.Column('overflowed_in', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_queue_call_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['skill_group_id'], ['skill_group.id'],
                                name=op.f('fk_queue_call_skill_group_id_skill_group'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_call')),
        sa.UniqueConstraint('call_id', 'queue', 'entered_at',
                            name=op.f('uq_queue_call_call_id_queue_entered_at')),
    )
    op.create_index('ix_queue_call_instance_entered_at', 'queue_call',
                    ['instance_id', 'entered_at'])
    with op.batch_alter_table('skill_group') as batch:
        batch.add_column(sa.Column('service_level_seconds', sa.Integer(), nullable=False,
                                   server_default='20'))


def downgrade() -> None:
    with op.batch_alter_table('skill_group') as batch:
        batch.drop_column('service_level_seconds')
    op.drop_index('ix_queue_call_instance_entered_at', table_name='queue_call')
    op.drop_table('queue_call')
    op.drop_index(op.f('ix_queue_event_call_id'), table_name='queue_event')
    op.drop_index('ix_queue_event_instance_event_at', table_name='queue_event')
    op.drop_index('ix_queue_event_instance_at', table_name='queue_event')
    op.drop_table('queue_event')
