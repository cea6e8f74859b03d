"""billing: tariffs (seeded), contract discounts, voice packages, rated usage,
monthly charges, rating runs, payments, usage exports

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The seed prices, in 1/10000 CNY per unit. The tariff table is
# data: operators change prices with `ccc billing tariff set`, never in code. Written
# out here, not imported, so this migration seeds the same rows for ever.
# Chosen where the spec names no figure: the seat fee (150 CNY a seat a month), 400
# inbound (0.15/min, 0.12 from the 10,000th minute of a month), recording storage
# (0.005 per recorded minute) and number rent per number type.
_BOTH = [
    ('Inbound_400', '', 0, 1500, 'minute'),
    ('Inbound_400', '', 10000, 1200, 'minute'),
    ('RecordStorage', '', 0, 50, 'minute'),
    ('NumberRent', 'landline', 0, 300000, 'number-month'),
    ('NumberRent', '400', 0, 1000000, 'number-month'),
    ('NumberRent', '95', 0, 2000000, 'number-month'),
    ('NumberRent', 'virtual_mobile', 0, 150000, 'number-month'),
    ('NumberRent', 'international', 0, 800000, 'number-month'),
]
SEED = {
    'seat': [
        ('CallCenterSoftware', '', 0, 1500000, 'seat-month'),
        ('Landline_Inbound', '', 0, 0, 'minute'),         # inbound minutes free
        ('Landline_Outbound', '', 0, 1100, 'minute'),
    ] + _BOTH,
    'payg': [
        ('CallCenterSoftware', '', 0, 0, 'minute'),       # in the per-minute prices
        ('Landline_Inbound', '', 0, 300, 'minute'),
        ('Landline_Outbound', '', 0, 1500, 'minute'),
    ] + _BOTH,
}


def upgrade() -> None:
    tariff = op.create_table('tariff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan', sa.Enum('payg', 'seat', name='billing_plan', native_enum=False, length=16), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('variant', sa.String(length=16), nullable=False),
    sa.Column('tier_from', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariff')),
    sa.UniqueConstraint('plan', 'item', 'variant', 'tier_from', name=op.f('uq_tariff_plan_item_variant_tier_from'))
    )
    op.create_table('contract_discount',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.String(length=7), nullable=False),
    sa.Column('percent', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_contract_discount_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_discount')),
    sa.UniqueConstraint('account_id', 'valid_from', name=op.f('uq_contract_discount_account_id_valid_from'))
    )
    op.create_table('voice_package',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_voice_package_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_package'))
    )
    with op.batch_alter_table('voice_package', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_package_account_id'), ['account_id'], unique=False)

    op.create_table('rated_usage',
    sa.Column('call_record_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('package_minutes', sa.Integer(), nullable=False),
    sa.Column('recorded', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('call_record_id', name=op.f('pk_rated_usage'))
    )
    with op.batch_alter_table('rated_usage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rated_usage_account_id'), ['account_id', 'month', 'started_at', 'call_record_id'], unique=False)

    op.create_table('package_use',
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('call_record_id', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['call_record_id'], ['rated_usage.call_record_id'], name=op.f('fk_package_use_call_record_id_rated_usage'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['package_id'], ['voice_package.id'], name=op.f('fk_package_use_package_id_voice_package'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('package_id', 'call_record_id', name=op.f('pk_package_use'))
    )
    op.create_table('monthly_charge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('variant', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_monthly_charge_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_charge')),
    sa.UniqueConstraint('account_id', 'month', 'item', 'subject', name=op.f('uq_monthly_charge_account_id_month_item_subject'))
    )
    op.create_table('rating_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('rated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_rating_run_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_run')),
    sa.UniqueConstraint('account_id', 'month', name=op.f('uq_rating_run_account_id_month'))
    )
    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_payment_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_account_id'), ['account_id'], unique=False)

    op.create_table('usage_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('item', sa.String(length=32), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_usage_export_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_export'))
    )
    with op.batch_alter_table('usage_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_export_account_id'), ['account_id'], unique=False)

    op.bulk_insert(tariff, [
        {'plan': plan, 'item': item, 'variant': variant, 'tier_from': tier_from,
         'unit_price': price, 'unit': unit}
        for plan, rows in SEED.items() for item, variant, tier_from, price, unit in rows])


def downgrade() -> None:
    with op.batch_alter_table('usage_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_export_account_id'))
    op.drop_table('usage_export')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_account_id'))
    op.drop_table('payment')
    op.drop_table('rating_run')
    op.drop_table('monthly_charge')
    op.drop_table('package_use')
    with op.batch_alter_table('rated_usage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rated_usage_account_id'))
    op.drop_table('rated_usage')
    with op.batch_alter_table('voice_package', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voice_package_account_id'))
    op.drop_table('voice_package')
    op.drop_table('contract_discount')
    op.drop_table('tariff')
