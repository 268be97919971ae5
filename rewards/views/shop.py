"""The points supermarket: shops, products and their stock ledger, the counter, receipts and cancellations.

The counter: find the account (a family by number, a member's name or mobile, or the QR code on its card — a
scanner types its text; a villager by name or mobile; a unit by name or contact mobile), pick goods, see the
totals and the balance after, confirm. A hidden key makes a double tap record once.
"""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from core import uploads
from core.errors import DomainError
from core.files import stored_file_response
from core.permissions import Action, can, check
from core.views import township_view
from households.forms import add_domain_error
from households.models import Resident
from households.selectors import households_visible_to, villages_visible_to
from scoring.accounts import account_of
from scoring.evidence import check_evidence_file, sniff_content_type

from .. import selectors, services
from ..forms import NewProductForm, ProductForm, ReasonForm, ShopForm, StockForm
from ..models import StockMove
from ..selectors import accounts_visible_to, products_visible_to, redemptions_visible_to, shops_visible_to
from .common import get_visible, render_page, this_year, url

RECENT = 20
FOUND = 10
QUANTITY_DIGITS = 30  # more digits than any stock: read as out of stock, not parsed for ever


@township_view(Action.VIEW)
def shop_list(request, township, membership):
    shops = list(shops_visible_to(membership).select_related("village").order_by("village__sort_key"))
    year = this_year()
    participation = selectors.shop_participation(year=year, village_ids=[s.village_id for s in shops])
    rows = [{"shop": s, "participation": participation[s.village_id]} for s in shops]
    # The rewards' first page says what waits: a star rating to publish (the township office), the counters.
    to_publish = list(selectors.runs_to_publish()) if can(membership, Action.MANAGE_REWARDS) else []
    form = None
    if can(membership, Action.RUN_SHOP):
        without = villages_visible_to(membership).filter(shop__isnull=True).order_by("sort_key", "pk")
        form = ShopForm(request.POST or None, villages=without)
        if request.method == "POST" and form.is_valid():
            village = form.cleaned_data.pop("village")
            try:
                shop = services.open_shop(membership=membership, village=village, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return redirect(url(request, "shop-detail", pk=shop.pk))
    elif request.method == "POST":
        check(membership, Action.RUN_SHOP)
    context = {
        "rows": rows,
        "form": form,
        "year": year,
        "can_run": can(membership, Action.RUN_SHOP),
        "to_publish": to_publish,
    }
    return render_page(request, "rewards/shop_list.html", context)


@township_view(Action.VIEW)
def shop_detail(request, township, membership, pk):
    shop = get_visible(shops_visible_to(membership).select_related("village"), pk)
    can_run = can(membership, Action.RUN_SHOP, shop.village)
    form = NewProductForm(request.POST or None, request.FILES or None) if can_run else None
    kept = uploads.kept_from(request, "photo") if form is not None and request.method == "POST" else []
    if request.method == "POST":
        if form is None:
            check(membership, Action.RUN_SHOP, shop.village)  # the page has no form for this member
        photo_refused = form is None or "photo" in form.errors
        if form is not None and form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v is not None and k != "photo"}
            photo = form.cleaned_data.get("photo") or next(iter(uploads.as_uploaded_files(kept[-1:])), None)
            if photo:
                data["photo"] = photo
            try:
                product = services.add_product(membership=membership, shop=shop, **data)
            except DomainError as exc:
                photo_refused = exc.field == "photo"
                add_domain_error(form, exc)
            else:
                uploads.discard(kept)
                messages.success(request, _("%(product)s is on the shelf.") % {"product": product})
                return redirect(url(request, "shop-detail", pk=shop.pk))
        if not photo_refused:  # the other errors must not cost the photo
            kept = uploads.keep_for_form(
                request, form=form, field="photo", kept=kept[-1:], check=check_evidence_file
            )[-1:]
    year = this_year()
    context = {
        "shop": shop,
        "products": shop.products.all(),
        "low": list(selectors.low_stock_products(shop)),
        "participation": selectors.shop_participation(year=year, village_ids=[shop.village_id])[
            shop.village_id
        ],
        "budget": selectors.budget_figures(year=year, village_ids=[shop.village_id])[shop.village_id],
        "recent": redemptions_visible_to(membership)
        .filter(shop=shop)
        .select_related("account__household", "account__resident", "account__unit")[:RECENT],
        "form": form,
        "can_run": can_run,
        "year": year,
        "kept": kept,
    }
    return render_page(request, "rewards/shop_detail.html", context)


@township_view(Action.VIEW)
def product_detail(request, township, membership, pk):
    product = get_visible(products_visible_to(membership).select_related("shop", "shop__village"), pk)
    can_run = can(membership, Action.RUN_SHOP, product.shop.village)
    fields = ("name", "points", "cost", "low_stock", "source", "donor", "active")
    posted = request.POST if request.method == "POST" else None
    edit = ProductForm(
        posted if posted and "edit" in posted else None,
        request.FILES or None,
        initial={name: getattr(product, name) for name in fields},
    )
    stock = StockForm(posted if posted and "stock" in posted else None)
    if posted is not None:
        try:
            if "edit" in posted and edit.is_valid():
                data = {k: v for k, v in edit.cleaned_data.items() if k in fields and v is not None}
                if edit.cleaned_data.get("photo"):
                    data["photo"] = edit.cleaned_data["photo"]
                services.update_product(membership=membership, product=product, **data)
                messages.success(request, _("Saved."))
                return redirect(url(request, "product-detail", pk=product.pk))
            if "stock" in posted and stock.is_valid():
                services.move_stock(membership=membership, product=product, **stock.cleaned_data)
                messages.success(request, _("The stock is updated."))
                return redirect(url(request, "product-detail", pk=product.pk))
        except DomainError as exc:
            add_domain_error(edit if "edit" in posted else stock, exc)
    moves = (
        StockMove.objects.filter(product=product)
        .select_related("created_by", "redemption")
        .order_by("-id")[:50]
    )
    context = {"product": product, "edit": edit, "stock": stock, "moves": moves, "can_run": can_run}
    return render_page(request, "rewards/product_detail.html", context)


@township_view(Action.VIEW)
def product_photo(request, township, membership, pk):
    """A product's photo, found inside the township first (media is never served by its address)."""
    product = get_visible(products_visible_to(membership).select_related("shop", "shop__village"), pk)
    if not product.photo:
        raise Http404
    with product.photo.open("rb") as handle:
        content_type = sniff_content_type(handle.read(16))
    filename = product.photo.name.rsplit("/", 1)[-1]
    return stored_file_response(product.photo, filename=filename, content_type=content_type)


def _counter_url(request, shop, account) -> str:
    if account.household_id is not None:  # a family's page keeps its household's address
        return url(request, "counter-household", pk=shop.pk, household_pk=account.household_id)
    return url(request, "counter-account", pk=shop.pk, account_pk=account.pk)


@township_view(Action.RUN_SHOP)
def counter(request, township, membership, pk):
    shop = get_visible(shops_visible_to(membership).select_related("village"), pk)
    check(membership, Action.RUN_SHOP, shop.village)
    query = request.GET.get("q", "").strip()
    found = []
    if query:
        households = households_visible_to(membership).filter(village=shop.village)
        accounts = accounts_visible_to(membership).filter(village=shop.village)
        heads = Resident.objects.filter(household=OuterRef("household"), is_head=True).values("name")[:1]
        found = list(
            selectors.find_accounts(accounts, households, query)
            .select_related("household", "resident", "unit")
            .annotate(head_name=Subquery(heads))[: FOUND + 1]
        )
        if len(found) == 1:
            return redirect(_counter_url(request, shop, found[0]))
    balances = selectors.spendable_balances(found[:FOUND], year=this_year())
    rows = [
        {"account": a, "balance": balances[a.pk], "url": _counter_url(request, shop, a)}
        for a in found[:FOUND]
    ]
    context = {"shop": shop, "query": query, "found": rows, "more": len(found) > FOUND}
    return render_page(request, "rewards/counter.html", context)


def _picked(request, products, *, bounded: bool) -> dict[int, int]:
    """{product id: quantity} of the basket: whole numbers, and (`bounded`) none over the product's stock. A
    confirmation is not bounded here: the service checks the stock after the submission key (a double tap
    answers the first redemption, whatever the stock left).

    Each product remembers what was typed (`picked`), so a refused or changed basket comes back as it was."""
    picked = {}
    problems = []
    for product in products:
        raw = request.POST.get(f"qty_{product.pk}", "").strip()[:QUANTITY_DIGITS] or "0"
        product.picked = raw
        try:
            quantity = int(raw)
        except ValueError:
            problems.append(_("Quantities are whole numbers."))
            continue
        if quantity < 0:
            problems.append(_("Quantities must be positive."))
        elif bounded and quantity > product.stock:
            # Out of stock, whatever the budget or the balance would say of so many.
            problems.append(
                _("Only %(stock)s of %(product)s in stock.") % {"stock": product.stock, "product": product}
            )
        elif quantity:
            picked[product.pk] = quantity
    if problems:
        raise DomainError(" ".join(dict.fromkeys(problems)))
    return picked


@township_view(Action.RUN_SHOP)
def counter_household(request, township, membership, pk, household_pk):
    """A family's counter page, at its household's address."""
    shop = get_visible(shops_visible_to(membership).select_related("village"), pk)
    check(membership, Action.RUN_SHOP, shop.village)
    household = get_visible(
        households_visible_to(membership).filter(village=shop.village).prefetch_related("members"),
        household_pk,
    )
    return _counter_page(request, membership, shop, account_of(household))


@township_view(Action.RUN_SHOP)
def counter_account(request, township, membership, pk, account_pk):
    """The counter page of any account of the shop's village (a villager's, a unit's, a family's)."""
    shop = get_visible(shops_visible_to(membership).select_related("village"), pk)
    check(membership, Action.RUN_SHOP, shop.village)
    accounts = accounts_visible_to(membership).filter(village=shop.village)
    account = get_visible(accounts.select_related("household", "resident", "unit"), account_pk)
    return _counter_page(request, membership, shop, account)


def _counter_page(request, membership, shop, account):
    balance = selectors.spendable_balance(account, year=this_year())
    sellable = list(shop.products.filter(active=True))
    products = [p for p in sellable if p.stock > 0]
    context = {
        "shop": shop,
        "account": account,
        "household": account.household,
        "balance": balance,
        "products": products,
        "here": _counter_url(request, shop, account),
    }
    if request.method == "POST":
        try:
            confirming = bool(request.POST.get("confirm"))
            picked = _picked(request, sellable if confirming else products, bounded=not confirming)
            if "change" in request.POST:  # back from the review step: the basket as it was
                return render_page(
                    request, "rewards/counter_household.html", {**context, "key": uuid.uuid4().hex}
                )
            if not picked:
                raise DomainError(_("Pick at least one product."))
            if confirming:
                redemption = services.redeem(
                    membership=membership,
                    account=account,
                    shop=shop,
                    items=picked,
                    idempotency_key=request.POST.get("key", "")[:80],
                )
                messages.success(request, _("Redeemed. Hand over the goods and the receipt."))
                return redirect(url(request, "redemption-detail", pk=redemption.pk))
        except DomainError as exc:
            context["error"] = exc.message
        else:
            lines = [(p, picked[p.pk], p.points * picked[p.pk]) for p in sellable if p.pk in picked]
            points = sum((line[2] for line in lines), Decimal("0"))
            after = balance.available - points
            # The review step never offers to confirm a basket the balance does not cover: it says what is short.
            context.update(
                confirming=True, lines=lines, points=points, after=after, short=-after if after < 0 else None
            )
    context.setdefault("key", uuid.uuid4().hex)
    return render_page(request, "rewards/counter_household.html", context)


@township_view(Action.VIEW)
def redemption_detail(request, township, membership, pk):
    """The receipt (printable) and, for the counter, the cancellation."""
    redemption = get_visible(
        redemptions_visible_to(membership).select_related(
            "shop",
            "shop__village",
            "household",
            "account__household",
            "account__resident",
            "account__unit",
            "created_by",
            "reverses",
        ),
        pk,
    )
    can_cancel = (
        can(membership, Action.RUN_SHOP, redemption.shop.village)
        and not redemption.is_cancellation
        and not hasattr(redemption, "reversed_by")
    )
    form = ReasonForm(request.POST or None) if can_cancel else None
    if request.method == "POST":
        if form is None:
            check(membership, Action.RUN_SHOP, redemption.shop.village)  # nothing to cancel for this member
        elif form.is_valid():
            try:
                services.cancel_redemption(membership=membership, redemption=redemption, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Cancelled: the points are back and the goods on the shelf."))
                return redirect(url(request, "redemption-detail", pk=redemption.pk))
    source = redemption.reverses if redemption.is_cancellation else redemption
    context = {
        "redemption": redemption,
        "lines": source.lines.select_related("product"),
        "balance": selectors.spendable_balance(redemption.account, year=redemption.year),
        "form": form,
    }
    return render_page(request, "rewards/receipt.html", context)


urlpatterns = [
    path("shops/", shop_list, name="shop-list"),
    path("shops/<int:pk>/", shop_detail, name="shop-detail"),
    path("shops/<int:pk>/counter/", counter, name="counter"),
    path("shops/<int:pk>/counter/<int:household_pk>/", counter_household, name="counter-household"),
    path("shops/<int:pk>/counter/accounts/<int:account_pk>/", counter_account, name="counter-account"),
    path("products/<int:pk>/", product_detail, name="product-detail"),
    path("products/<int:pk>/photo/", product_photo, name="product-photo"),
    path("redemptions/<int:pk>/", redemption_detail, name="redemption-detail"),
]
