"""billing running totals: per account, month and item, per package and month, and a
number's minutes in the stretches its minimum spend is owed for; filled for the months
already rated, so their next bill reads them

Revision ID: 0028
Revises: 0027
"""
from alembic import op
import sqlalchemy as sa


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'usage_total',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('item', sa.String(length=32), nullable=False),
        sa.Column('calls', sa.Integer(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('package_minutes', sa.Integer(), nullable=False),
        sa.Column('recorded_minutes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'],
                                name=op.f('fk_usage_total_account_id_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', 'month', 'item', name=op.f('pk_usage_total')),
    )
    op.create_table(
        'package_month_use',
        sa.Column('package_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['package_id'], ['voice_package.id'],
                                name=op.f('fk_package_month_use_package_id_voice_package'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('package_id', 'month', name=op.f('pk_package_month_use')),
    )
    op.create_table(
        'number_minutes',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('digits', sa.String(length=24), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'],
                                name=op.f('fk_number_minutes_account_id_account'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', 'month', 'digits', 'starts_at', 'ends_at',
                                name=op.f('pk_number_minutes')),
    )
    op.create_index(op.f('ix_package_use_call_record_id'), 'package_use', ['call_record_id'])
    with op.batch_alter_table('rating_run') as batch:
        # NULL for the months rated before: their next rating allocates packages again.
        batch.add_column(sa.Column('free_items', sa.String(length=200), nullable=True))
    # The months already rated: their totals are their rows' sums, once. The minimum
    # spend's stretches are filled by the first bill that asks for them.
    op.execute(sa.text(
        "INSERT INTO usage_total (account_id, month, item, calls, minutes, package_minutes, "
        "recorded_minutes) SELECT account_id, month, item, count(*), sum(minutes), "
        "sum(package_minutes), sum(CASE WHEN recorded THEN minutes ELSE 0 END) "
        "FROM rated_usage GROUP BY account_id, month, item"))
    op.execute(sa.text(
        "INSERT INTO package_month_use (package_id, month, minutes) "
        "SELECT package_use.package_id, rated_usage.month, sum(package_use.minutes) "
        "FROM package_use JOIN rated_usage "
        "ON rated_usage.call_record_id = package_use.call_record_id "
        "GROUP BY package_use.package_id, rated_usage.month"))


def downgrade() -> None:
    with op.batch_alter_table('rating_run') as batch:
        batch.drop_column('free_items')
    op.drop_index(op.f('ix_package_use_call_record_id'), table_name='package_use')
    op.drop_table('number_minutes')
    op.drop_table('package_month_use')
    op.drop_table('usage_total')
