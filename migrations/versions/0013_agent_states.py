"""agent states: break codes per instance, the durable state log, wrap-up seconds per
skill group, whether an unanswered queue call sends its agent on a break, and the
agents' notes on calls

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

DEFAULT_BREAK_CODES = (("Rest", "Rest"), ("Meal", "Meal"), ("Meeting", "Meeting"),
                       ("Training", "Training"))


def upgrade() -> None:
    break_code = op.create_table(
        'break_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_break_code_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_break_code')),
        sa.UniqueConstraint('instance_id', 'code', name=op.f('uq_break_code_instance_id_code')),
    )
    op.create_table(
        'agent_state_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('break_code', sa.String(length=32), nullable=True),
        sa.Column('queues', sa.String(length=512), nullable=False),
        sa.Column('interface', sa.String(length=80), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['agent.id'],
                                name=op.f('fk_agent_state_change_agent_id_agent'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_agent_state_change_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_state_change')),
    )
    op.create_index('ix_agent_state_change_agent_at', 'agent_state_change', ['agent_id', 'at'])
    op.create_index('ix_agent_state_change_instance_at', 'agent_state_change',
                    ['instance_id', 'at'])
    op.create_table(
        'call_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pbx_call_id', sa.String(length=64), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['agent.id'],
                                name=op.f('fk_call_note_agent_id_agent'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_call_note_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_note')),
    )
    op.create_index(op.f('ix_call_note_pbx_call_id'), 'call_note', ['pbx_call_id'])
    with op.batch_alter_table('skill_group') as batch:
        batch.add_column(sa.Column('wrap_up_seconds', sa.Integer(), nullable=False,
                                   server_default='0'))
    with op.batch_alter_table('instance') as batch:
        batch.add_column(sa.Column('ringing_timeout_break', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    # Every existing instance gets the default break codes, as new ones do.
    instances = sa.table('instance', sa.column('id', sa.Integer()))
    rows = [{'instance_id': instance_id, 'code': code, 'name': name}
            for (instance_id,) in op.get_bind().execute(sa.select(instances.c.id))
            for code, name in DEFAULT_BREAK_CODES]
    if rows:
        op.bulk_insert(break_code, rows)


def downgrade() -> None:
    with op.batch_alter_table('instance') as batch:
        batch.drop_column('ringing_timeout_break')
    with op.batch_alter_table('skill_group') as batch:
        batch.drop_column('wrap_up_seconds')
    op.drop_index(op.f('ix_call_note_pbx_call_id'), table_name='call_note')
    op.drop_table('call_note')
    op.drop_index('ix_agent_state_change_instance_at', table_name='agent_state_change')
    op.drop_index('ix_agent_state_change_agent_at', table_name='agent_state_change')
    op.drop_table('agent_state_change')
    op.drop_table('break_code')
