"""initial schema

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('plan', sa.Enum('payg', 'seat', name='billing_plan', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('name', name=op.f('uq_account_name'))
    )
    op.create_table('ingest_cursor',
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_ingest_cursor'))
    )
    op.create_table('trunk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('host', sa.String(length=253), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trunk')),
    sa.UniqueConstraint('name', name=op.f('uq_trunk_name'))
    )
    op.create_table('instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_instance_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instance')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_instance_account_id_name')),
    sa.UniqueConstraint('domain', name=op.f('uq_instance_domain'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.Enum('owner', 'instance_admin', 'agent', 'supplier', 'reviewer', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_user_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_user_account_id_name'))
    )
    op.create_table('agent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('extension', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('sip_secret', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], name=op.f('fk_agent_instance_id_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_agent_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent')),
    sa.UniqueConstraint('instance_id', 'extension', name=op.f('uq_agent_instance_id_extension'))
    )
    op.create_table('call_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pbx_call_id', sa.String(length=64), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=24), nullable=True),
    sa.Column('direction', sa.Enum('inbound', 'outbound', 'internal', name='direction', native_enum=False, length=16), nullable=False),
    sa.Column('caller', sa.String(length=64), nullable=False),
    sa.Column('callee', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('billable_seconds', sa.Integer(), nullable=False),
    sa.Column('disposition', sa.String(length=16), nullable=False),
    sa.Column('agent_extension', sa.String(length=8), nullable=True),
    sa.Column('refusal_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], name=op.f('fk_call_record_instance_id_instance'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_record')),
    sa.UniqueConstraint('pbx_call_id', name=op.f('uq_call_record_pbx_call_id'))
    )
    with op.batch_alter_table('call_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_record_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_record_started_at'), ['started_at'], unique=False)

    op.create_table('ivr_flow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], name=op.f('fk_ivr_flow_instance_id_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_flow')),
    sa.UniqueConstraint('instance_id', 'name', name=op.f('uq_ivr_flow_instance_id_name'))
    )
    op.create_table('skill_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('strategy', sa.String(length=16), nullable=False),
    sa.Column('wait_timeout', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], name=op.f('fk_skill_group_instance_id_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_group')),
    sa.UniqueConstraint('instance_id', 'name', name=op.f('uq_skill_group_instance_id_name'))
    )
    op.create_table('agent_skill_group',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('skill_group_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agent.id'], name=op.f('fk_agent_skill_group_agent_id_agent'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_group_id'], ['skill_group.id'], name=op.f('fk_agent_skill_group_skill_group_id_skill_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'skill_group_id', name=op.f('pk_agent_skill_group'))
    )
    op.create_table('ivr_flow_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('draft', 'published', name='flow_state', native_enum=False, length=16), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['flow_id'], ['ivr_flow.id'], name=op.f('fk_ivr_flow_version_flow_id_ivr_flow'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_flow_version')),
    sa.UniqueConstraint('flow_id', 'version', name=op.f('uq_ivr_flow_version_flow_id_version'))
    )
    op.create_table('number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('digits', sa.String(length=24), nullable=False),
    sa.Column('type', sa.Enum('landline', '400', '95', 'virtual_mobile', 'international', name='number_type', native_enum=False, length=16), nullable=False),
    sa.Column('inbound_flow_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_number_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inbound_flow_id'], ['ivr_flow.id'], name=op.f('fk_number_inbound_flow_id_ivr_flow'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], name=op.f('fk_number_instance_id_instance'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_number')),
    sa.UniqueConstraint('digits', name=op.f('uq_number_digits'))
    )
    op.create_table('number_skill_group',
    sa.Column('number_id', sa.Integer(), nullable=False),
    sa.Column('skill_group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['number_id'], ['number.id'], name=op.f('fk_number_skill_group_number_id_number'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_group_id'], ['skill_group.id'], name=op.f('fk_number_skill_group_skill_group_id_skill_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('number_id', 'skill_group_id', name=op.f('pk_number_skill_group'))
    )


def downgrade() -> None:
    op.drop_table('number_skill_group')
    op.drop_table('number')
    op.drop_table('ivr_flow_version')
    op.drop_table('agent_skill_group')
    op.drop_table('skill_group')
    op.drop_table('ivr_flow')
    with op.batch_alter_table('call_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_record_started_at'))
        batch_op.drop_index(batch_op.f('ix_call_record_instance_id'))

    op.drop_table('call_record')
    op.drop_table('agent')
    op.drop_table('user')
    op.drop_table('instance')
    op.drop_table('trunk')
    op.drop_table('ingest_cursor')
    op.drop_table('account')
