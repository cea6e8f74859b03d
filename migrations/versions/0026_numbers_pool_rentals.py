"""outbound decision made atomic (attempt seq), industry limits (account industry,
marketing numbers, suppliers' refused industries)

Revision ID: 0026
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account') as batch:
        batch.add_column(sa.Column('industry', sa.String(length=32), nullable=True))
    with op.batch_alter_table('supplier') as batch:
        batch.add_column(sa.Column('refused_industries', sa.JSON(), server_default='[]',
                                   nullable=False))
    with op.batch_alter_table('number') as batch:
        batch.add_column(sa.Column('marketing', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
    with op.batch_alter_table('outbound_attempt') as batch:
        batch.add_column(sa.Column('seq', sa.Integer(), nullable=True))
    op.create_index('ux_outbound_attempt_number_callee_seq', 'outbound_attempt',
                    ['number_id', 'callee', 'seq'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_outbound_attempt_number_callee_seq', table_name='outbound_attempt')
    with op.batch_alter_table('outbound_attempt') as batch:
        batch.drop_column('seq')
    with op.batch_alter_table('number') as batch:
        batch.drop_column('marketing')
    with op.batch_alter_table('supplier') as batch:
        batch.drop_column('refused_industries')
    with op.batch_alter_table('account') as batch:
        batch.drop_column('industry')
