"""voicemail messages and survey scores, kept with the call records

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No foreign key to call_record: both rows are written during the call, before
    # ingestion creates its record; they join on pbx_call_id (the linked id).
    op.create_table(
        'call_voicemail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pbx_call_id', sa.String(length=64), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('path', sa.String(length=400), nullable=False),
        sa.Column('seconds', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_call_voicemail_instance_id_instance'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_voicemail')),
    )
    with op.batch_alter_table('call_voicemail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_voicemail_pbx_call_id'), ['pbx_call_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_call_voicemail_instance_id'), ['instance_id'],
                              unique=False)
    op.create_table(
        'call_survey',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pbx_call_id', sa.String(length=64), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_call_survey_instance_id_instance'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_survey')),
        sa.UniqueConstraint('pbx_call_id', name=op.f('uq_call_survey_pbx_call_id')),
    )
    with op.batch_alter_table('call_survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_survey_instance_id'), ['instance_id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('call_survey')
    op.drop_table('call_voicemail')
