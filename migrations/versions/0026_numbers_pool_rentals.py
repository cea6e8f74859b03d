"""outbound decision made atomic (attempt seq), industry limits (account industry,
marketing numbers, suppliers' refused industries); 400 numbers from the pool by
tier (tiers seeded with their minimum monthly spend) and their purchases; number
rental periods and seat periods (the bill's number rent and seats follow them),
opened for the numbers and seats that exist, from their account's creation

Revision ID: 0026
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0021'
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
    tier = op.create_table(
        'number_tier',
        sa.Column('name', sa.String(length=16), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('minimum_monthly_spend', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_number_tier')),
    )
    # Minimum monthly spend in CNY, stored in hundredths (the money columns' scale 2).
    op.bulk_insert(tier, [
        {"name": name, "position": position, "minimum_monthly_spend": cny * 100}
        for position, (name, cny) in enumerate(
            [("standard", 375), ("preferred", 750), ("select", 1500), ("gold", 2500),
             ("platinum", 5000), ("vip", 12500), ("vvip", 20000)])])
    op.create_table(
        'pool_number',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digits', sa.String(length=24), nullable=False),
        sa.Column('tier', sa.String(length=16), nullable=False),
        sa.Column('supplier_id', sa.Integer(), nullable=True),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tier'], ['number_tier.name'],
                                name=op.f('fk_pool_number_tier_number_tier')),
        sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'],
                                name=op.f('fk_pool_number_supplier_id_supplier'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_number')),
        sa.UniqueConstraint('digits', name=op.f('uq_pool_number_digits')),
    )
    op.create_table(
        'number_purchase',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('pool_number_id', sa.Integer(), nullable=False),
        sa.Column('number_id', sa.Integer(), nullable=True),
        sa.Column('tier', sa.String(length=16), nullable=False),
        sa.Column('minimum_monthly_spend', sa.BigInteger(), nullable=False),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('purchased_at', sa.DateTime(), nullable=False),
        sa.Column('documents_due_at', sa.DateTime(), nullable=False),
        sa.Column('documents_submitted_at', sa.DateTime(), nullable=True),
        sa.Column('released_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'],
                                name=op.f('fk_number_purchase_account_id_account'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['pool_number_id'], ['pool_number.id'],
                                name=op.f('fk_number_purchase_pool_number_id_pool_number'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['number_id'], ['number.id'],
                                name=op.f('fk_number_purchase_number_id_number'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_number_purchase')),
    )
    op.create_index(op.f('ix_number_purchase_account_id'), 'number_purchase', ['account_id'])
    op.create_index(op.f('ix_number_purchase_pool_number_id'), 'number_purchase',
                    ['pool_number_id'])
    op.create_table(
        'number_rental',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('number_id', sa.Integer(), nullable=True),
        sa.Column('digits', sa.String(length=24), nullable=False),
        sa.Column('number_type', sa.String(length=16), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=True),
        sa.Column('auto_renew', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('reminded_at', sa.DateTime(), nullable=True),
        sa.Column('renewed', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'],
                                name=op.f('fk_number_rental_account_id_account'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['number_id'], ['number.id'],
                                name=op.f('fk_number_rental_number_id_number'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_number_rental')),
    )
    op.create_index(op.f('ix_number_rental_account_id'), 'number_rental', ['account_id'])
    op.create_index(op.f('ix_number_rental_number_id'), 'number_rental', ['number_id'])
    op.create_table(
        'seat_period',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('extension', sa.String(length=8), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['instance.id'],
                                name=op.f('fk_seat_period_instance_id_instance'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agent_id'], ['agent.id'],
                                name=op.f('fk_seat_period_agent_id_agent'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_seat_period')),
    )
    op.create_index(op.f('ix_seat_period_instance_id'), 'seat_period', ['instance_id'])
    # What exists now is taken to have existed since its account was created: the
    # history the bills of past months were made from (nothing older is known).
    op.execute("INSERT INTO number_rental (account_id, number_id, digits, number_type, "
               "starts_at, auto_renew, renewed) SELECT number.account_id, number.id, "
               "number.digits, number.type, account.created_at, false, false FROM number "
               "JOIN account ON account.id = number.account_id")
    op.execute("INSERT INTO seat_period (instance_id, agent_id, extension, starts_at) "
               "SELECT agent.instance_id, agent.id, agent.extension, account.created_at "
               "FROM agent JOIN instance ON instance.id = agent.instance_id "
               "JOIN account ON account.id = instance.account_id")


def downgrade() -> None:
    op.drop_index(op.f('ix_seat_period_instance_id'), table_name='seat_period')
    op.drop_table('seat_period')
    op.drop_index(op.f('ix_number_rental_number_id'), table_name='number_rental')
    op.drop_index(op.f('ix_number_rental_account_id'), table_name='number_rental')
    op.drop_table('number_rental')
    op.drop_index(op.f('ix_number_purchase_pool_number_id'), table_name='number_purchase')
    op.drop_index(op.f('ix_number_purchase_account_id'), table_name='number_purchase')
    op.drop_table('number_purchase')
    op.drop_table('pool_number')
    op.drop_table('number_tier')
    op.drop_index('ux_outbound_attempt_number_callee_seq', table_name='outbound_attempt')
    with op.batch_alter_table('outbound_attempt') as batch:
        batch.drop_column('seq')
    with op.batch_alter_table('number') as batch:
        batch.drop_column('marketing')
    with op.batch_alter_table('supplier') as batch:
        batch.drop_column('refused_industries')
    with op.batch_alter_table('account') as batch:
        batch.drop_column('industry')
