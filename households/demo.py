"""Deterministic demo roster: one township, three villages, about 300 households with generated Chinese names."""

import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from core.tenancy import township_scope

from . import services
from .models import Area, Household, Membership, Role, Township, Village

DEMO_PASSWORD = "demo-Jifen-2026"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌海波云辉鹏飞宇浩然子涵欣怡梓轩雨桐"
VILLAGES = [
    ("青山村", "QS", ["一组", "二组", "三组", "四组"]),
    ("石桥村", "SQ", ["东片", "西片", "南片"]),
    ("柳河村", "LH", ["上组", "中组", "下组"]),
]
HOUSEHOLDS_PER_AREA = 30
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass
class DemoUser:
    username: str
    role: str
    description: str
    name: str = ""  # the display name pages, slips and passbooks show (never the login)


DEMO_USERS = [
    DemoUser("demo-admin", Role.TOWNSHIP_ADMIN, "township office (乡镇办)", "王建国"),
    DemoUser("demo-clerk", Role.VILLAGE_CLERK, "village clerk of 青山村 (村文书)", "李秀梅"),
    DemoUser("demo-panel", Role.PANEL_MEMBER, "review panel member, 青山村 (评议小组成员)", "张德福"),
    DemoUser("demo-supervisor", Role.SUPERVISOR, "supervisor (监督委员会)", "赵明远"),
    DemoUser("demo-county", Role.COUNTY_VIEWER, "county viewer (县农业农村局)", "钱立新"),
    DemoUser("demo-grid", Role.GRID_WORKER, "grid worker of 青山村 (网格员)", "孙海燕"),
]


def demo_id_number(rng: random.Random, birth_year: int, female: bool) -> str:
    body = f"371425{birth_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 99):02d}"
    body += str(rng.choice([0, 2, 4, 6, 8]) if female else rng.choice([1, 3, 5, 7, 9]))
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return body + check


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def seed_roster(*, slug: str = "qingshan", name: str = "青山镇") -> tuple[Township, dict[str, str], bool]:
    """Create the demo township if missing. Returns (township, {username: role}, created_anything)."""
    rng = random.Random(2026)
    User = get_user_model()  # noqa: N806
    created = False
    with transaction.atomic():
        township, made = Township.objects.get_or_create(slug=slug, defaults={"name": name})
        created |= made
        users = {}
        for demo in DEMO_USERS:
            user = User.objects.filter(username=demo.username).first()
            if user is None:
                user = User.objects.create_user(demo.username, password=DEMO_PASSWORD, first_name=demo.name)
                created = True
            elif demo.name and not user.get_full_name():  # a demo made before the users had names
                user.first_name = demo.name
                user.save(update_fields=["first_name"])
            users[demo.username] = user
        with township_scope(township):
            office, made = _township_office(township, users["demo-admin"])
            created |= made
            villages = []
            for village_name, code, area_names in VILLAGES:
                village = Village.objects.filter(name=village_name).first()
                if village is None:
                    village = services.create_village(membership=office, name=village_name, code=code)
                    created = True
                villages.append(village)
                for index, area_name in enumerate(area_names):
                    area = Area.objects.filter(village=village, name=area_name).first()
                    if area is None:
                        area = services.create_area(membership=office, village=village, name=area_name)
                        created = True
                    created |= _seed_area(rng, office, area, f"{code}{index + 1}")
            for demo in DEMO_USERS:
                if not Membership.objects.filter(user=users[demo.username]).exists():
                    scoped = (
                        [villages[0]]
                        if demo.role in (Role.VILLAGE_CLERK, Role.PANEL_MEMBER, Role.GRID_WORKER)
                        else []
                    )
                    services.grant_membership(
                        membership=office,
                        user=users[demo.username],
                        role=demo.role,
                        villages=scoped,
                    )
                    created = True
    return township, {d.username: d.description for d in DEMO_USERS}, created


def _township_office(township: Township, user) -> tuple[Membership, bool]:
    """The demo's township office, who seeds everything else through the services. A new township's first
    membership has no member to grant it (like `createsuperuser`), so it is made here, recorded as by the system."""
    office = Membership.objects.filter(user=user).first()
    if office is not None:
        return office, False
    return Membership.objects.create(township=township, user=user, role=Role.TOWNSHIP_ADMIN), True


def _seed_area(rng: random.Random, office: Membership, area: Area, prefix: str) -> bool:
    existing = set(Household.objects.filter(area=area).values_list("number", flat=True))
    created = False
    for n in range(1, HOUSEHOLDS_PER_AREA + 1):
        # Draw the random values even for existing households so a re-run stays deterministic.
        surname = rng.choice(SURNAMES)
        head_year = rng.randint(1940, 1995)
        size = rng.randint(1, 5)
        members = [
            (_name(rng, surname if i < 2 else None), rng.randint(1950, 2020), rng.random() < 0.5)
            for i in range(size)
        ]
        elderly = head_year < 1950
        party = rng.random() < 0.12
        number = f"{prefix}-{n:03d}"
        if number in existing:
            continue
        head_female = rng.random() < 0.2
        household = services.create_household(
            membership=office,
            area=area,
            number=number,
            address=f"{area.village.name}{area.name}{n}号",
            participation="elderly_opted_in" if elderly else "taking_part",
            head={
                "name": _name(rng, surname),
                "gender": "female" if head_female else "male",
                "birth_year": head_year,
                "id_number": demo_id_number(rng, head_year, head_female),
                "mobile": f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
                "is_party_member": party,
            },
        )
        for member_name, year, female in members[1:]:
            services.add_resident(
                membership=office,
                household=household,
                name=member_name,
                gender="female" if female else "male",
                birth_year=year,
            )
        created = True
    return created
