"""suppliers with their restriction policies, each number's supplier, and the outbound
attempts the frequency caps count

Revision ID: 0020
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'supplier',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('time_zone', sa.String(length=64), nullable=False),
        sa.Column('calling_hours', sa.JSON(), nullable=False),
        sa.Column('calls_per_day', sa.Integer(), nullable=True),
        sa.Column('calls_per_24h', sa.Integer(), nullable=True),
        sa.Column('calls_per_48h', sa.Integer(), nullable=True),
        sa.Column('blocked_regions', sa.JSON(), nullable=False),
        sa.Column('concurrency', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier')),
        sa.UniqueConstraint('name', name=op.f('uq_supplier_name')),
    )
    with op.batch_alter_table('number') as batch:
        batch.add_column(sa.Column('supplier_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_number_supplier_id_supplier'), 'supplier',
                                 ['supplier_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'outbound_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number_id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('callee', sa.String(length=32), nullable=False),
        sa.Column('agent_extension', sa.String(length=8), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('refusal', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['number_id'], ['number.id'],
                                name=op.f('fk_outbound_attempt_number_id_number'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_outbound_attempt_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_attempt')),
    )
    op.create_index('ix_outbound_attempt_number_callee_at', 'outbound_attempt',
                    ['number_id', 'callee', 'at'])
    op.create_index(op.f('ix_outbound_attempt_instance_id'), 'outbound_attempt',
                    ['instance_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_outbound_attempt_instance_id'), table_name='outbound_attempt')
    op.drop_index('ix_outbound_attempt_number_callee_at', table_name='outbound_attempt')
    op.drop_table('outbound_attempt')
    with op.batch_alter_table('number') as batch:
        batch.drop_constraint(op.f('fk_number_supplier_id_supplier'), type_='foreignkey')
        batch.drop_column('supplier_id')
    op.drop_table('supplier')
