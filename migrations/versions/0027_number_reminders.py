"""number reminders: a rental term about to end, told the account's owners once and
kept until one of them dismisses it

Revision ID: 0027
Revises: 0025
"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'number_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('rental_id', sa.Integer(), nullable=False),
        sa.Column('digits', sa.String(length=24), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('dismissed_at', sa.DateTime(), nullable=True),
        sa.Column('dismissed_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'],
                                name=op.f('fk_number_reminder_account_id_account'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rental_id'], ['number_rental.id'],
                                name=op.f('fk_number_reminder_rental_id_number_rental'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_number_reminder')),
        sa.UniqueConstraint('rental_id', name=op.f('uq_number_reminder_rental_id')),
    )
    op.create_index(op.f('ix_number_reminder_account_id'), 'number_reminder', ['account_id'])
    # The terms already reminded (in the log only, before this table) are told again
    # here while they have not ended, so their owners see them.
    op.execute(sa.text(
        "INSERT INTO number_reminder (account_id, rental_id, digits, ends_at, created_at) "
        "SELECT account_id, id, digits, ends_at, reminded_at FROM number_rental "
        "WHERE reminded_at IS NOT NULL AND renewed = :no AND number_id IS NOT NULL "
        "AND ends_at IS NOT NULL").bindparams(no=False))


def downgrade() -> None:
    op.drop_index(op.f('ix_number_reminder_account_id'), table_name='number_reminder')
    op.drop_table('number_reminder')
