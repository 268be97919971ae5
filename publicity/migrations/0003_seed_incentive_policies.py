# The three lists Jifen always printed (bank, party, commendation) become each township's first incentive policies,
# with the same rule as before: every star household (3 stars and up) of the year's published rating.

from django.db import migrations

SEED = """
INSERT INTO publicity_incentivepolicy
    (township_id, key, name, partner, benefit, description, min_stars, party_members_only, active, created_at)
SELECT t.id, p.key, p.name, p.partner, p.benefit, p.description, 3, FALSE, TRUE, NOW()
FROM households_township t CROSS JOIN (VALUES
    ('bank', '星级文明户信用贷款（积分贷）', '县农商银行', '信用贷款、提高授信额度、利率优惠',
     '年度星级文明户（三星及以上）推荐给银行，享受信用贷款（积分贷）。'),
    ('party', '推荐党组织', '村党组织', '入党积极分子推荐', '年度星级文明户推荐给党组织，作为发展党员的参考。'),
    ('commendation', '评先评优表彰', '镇政府', '表彰', '年度星级文明户推荐参加评先评优表彰。')
) AS p(key, name, partner, benefit, description)
ON CONFLICT DO NOTHING
"""

UNSEED = "DELETE FROM publicity_incentivepolicy WHERE key IN ('bank', 'party', 'commendation')"


class Migration(migrations.Migration):
    dependencies = [
        ("publicity", "0002_incentive_policy"),
    ]

    operations = [migrations.RunSQL(SEED, UNSEED)]
