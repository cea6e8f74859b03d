"""supervision log: every listen, whisper, barge and take-over of a live call

Revision ID: 0019
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'supervision_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('user_name', sa.String(length=64), nullable=False),
        sa.Column('supervisor_extension', sa.String(length=8), nullable=False),
        sa.Column('agent_extension', sa.String(length=8), nullable=False),
        sa.Column('pbx_call_id', sa.String(length=64), nullable=False),
        sa.Column('mode', sa.Enum('listen', 'whisper', 'barge', 'takeover',
                                  name='supervision_mode', native_enum=False, length=16),
                  nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_supervision_log_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_supervision_log_user_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_log')),
    )
    op.create_index('ix_supervision_log_instance_requested', 'supervision_log',
                    ['instance_id', 'requested_at'])


def downgrade() -> None:
    op.drop_index('ix_supervision_log_instance_requested', table_name='supervision_log')
    op.drop_table('supervision_log')
