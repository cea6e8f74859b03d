"""skill group overflow: the group a caller goes to after waiting in vain

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('skill_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overflow_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_skill_group_overflow_id_skill_group'),
                                    'skill_group', ['overflow_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('skill_group', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_skill_group_overflow_id_skill_group'),
                                 type_='foreignkey')
        batch_op.drop_column('overflow_id')
