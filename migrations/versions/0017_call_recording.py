"""call recording: a policy per instance and per skill group (a group may inherit its
instance's), and the recordings kept with their calls

Revision ID: 0017
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0018'
branch_labels = None
depends_on = None

POLICY = sa.Enum('all', 'none', 'on-demand', 'inherit', name='recording_policy',
                 native_enum=False, length=16)


def upgrade() -> None:
    # Existing instances record nothing until an administrator says otherwise.
    with op.batch_alter_table('instance') as batch:
        batch.add_column(sa.Column('recording', POLICY, nullable=False, server_default='none'))
    with op.batch_alter_table('skill_group') as batch:
        batch.add_column(sa.Column('recording', POLICY, nullable=False,
                                   server_default='inherit'))
    op.create_table(
        'call_recording',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pbx_call_id', sa.String(length=64), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=200), nullable=False),
        sa.Column('seconds', sa.Integer(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_call_recording_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_recording')),
        sa.UniqueConstraint('pbx_call_id', name=op.f('uq_call_recording_pbx_call_id')),
    )
    op.create_index(op.f('ix_call_recording_instance_id'), 'call_recording', ['instance_id'])
    op.create_index(op.f('ix_call_recording_created_at'), 'call_recording', ['created_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_call_recording_created_at'), table_name='call_recording')
    op.drop_index(op.f('ix_call_recording_instance_id'), table_name='call_recording')
    op.drop_table('call_recording')
    with op.batch_alter_table('skill_group') as batch:
        batch.drop_column('recording')
    with op.batch_alter_table('instance') as batch:
        batch.drop_column('recording')
