"""factory-boy factories. Create tenant rows inside a scope (the `all_townships` fixture gives one to tests)."""

import factory
from django.contrib.auth import get_user_model

from households.models import Area, Household, Membership, Resident, Role, Township, Unit, UnitKind, Village

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TownshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Township

    slug = factory.Sequence(lambda n: f"town-{n}")
    name = factory.Sequence(lambda n: f"测试镇{n}")


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    township = factory.SubFactory(TownshipFactory)
    name = factory.Sequence(lambda n: f"村{n}")


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    village = factory.SubFactory(VillageFactory)
    township = factory.SelfAttribute("village.township")
    name = factory.Sequence(lambda n: f"第{n}组")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    area = factory.SubFactory(AreaFactory)
    village = factory.SelfAttribute("area.village")
    township = factory.SelfAttribute("area.township")
    number = factory.Sequence(lambda n: f"H{n:05d}")
    address = factory.Sequence(lambda n: f"幸福路{n}号")


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    household = factory.SubFactory(HouseholdFactory)
    township = factory.SelfAttribute("household.township")
    name = factory.Iterator(["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊"])
    is_head = False


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    village = factory.SubFactory(VillageFactory)
    township = factory.SelfAttribute("village.township")
    name = factory.Sequence(lambda n: f"兴农合作社{n}")
    kind = UnitKind.COOPERATIVE
    contact_name = "王经理"
    contact_mobile = factory.Sequence(lambda n: f"1390000{n:04d}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    township = factory.SubFactory(TownshipFactory)
    role = Role.TOWNSHIP_ADMIN

    @factory.post_generation
    def villages(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.villages.set(extracted)


def store_reward_settings(scheme, **values):
    """Write a scheme's reward settings straight into its StarRule row (no service: no stale mark, no checks)."""
    from rewards.models import StarRule

    rule, _created = StarRule.objects.get_or_create(
        scheme=scheme, defaults={"township_id": scheme.township_id}
    )
    StarRule.objects.filter(pk=rule.pk).update(**values)
    return rule
