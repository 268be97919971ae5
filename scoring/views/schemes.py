"""Scheme pages: the township's schemes by year, and the scheme editor (categories, items, role rules).

Everybody in the township reads schemes; only the township office (EDIT_SCHEME) changes them, through services.
A refused change re-renders the page with what was typed and the service's message on the form.
"""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action, can
from core.views import township_view

from .. import selectors, services
from ..forms import (
    CategoryForm,
    CopySchemeForm,
    ItemCreateForm,
    ItemEditForm,
    RoleRuleForm,
    SchemeForm,
    TemplateForm,
    add_domain_error,
)
from ..models import Item, Scheme, SchemeState, SplitPoints
from ..scheme_templates import available_templates, load_template, template_title
from .common import get_visible, parse_id, render_page, url

# The list of schemes ------------------------------------------------------------------------------------------


def _copy_form(data=None, *, initial=None):
    return CopySchemeForm(data, initial=initial, schemes=Scheme.objects.order_by("-year", "name", "pk"))


def _scheme_list(request, membership, **forms):
    can_edit = can(membership, Action.EDIT_SCHEME)
    township = membership.township
    context = {"schemes": list(selectors.scheme_summaries()), "can_edit": can_edit}
    if can_edit:
        copy_initial = {}
        if (source := parse_id(request.GET.get("copy"))) is not None:
            copy_initial["scheme"] = source
        context.update(
            scheme_form=forms.get("scheme_form") or SchemeForm(),
            template_form=forms.get("template_form")
            or TemplateForm(templates=available_templates(township.kind)),
            copy_form=forms.get("copy_form") or _copy_form(initial=copy_initial),
            templates=available_templates(township.kind),
            open_form=next((name for name, form in forms.items() if form is not None), ""),
        )
    return render_page(request, "scoring/scheme_list.html", context)


@township_view(Action.VIEW)
def scheme_list(request, township, membership):
    return _scheme_list(request, membership)


@township_view(Action.EDIT_SCHEME)
@require_POST
def scheme_create(request, township, membership):
    form = SchemeForm(request.POST)
    if form.is_valid():
        try:
            scheme = services.create_scheme(membership=membership, township=township, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The scheme %(scheme)s was created as a draft.") % {"scheme": scheme})
            return redirect(url(request, "scheme-detail", pk=scheme.pk))
    return _scheme_list(request, membership, scheme_form=form)


@township_view(Action.EDIT_SCHEME)
@require_POST
def scheme_load_template(request, township, membership):
    form = TemplateForm(request.POST, templates=available_templates(township.kind))
    if form.is_valid():
        data = form.cleaned_data
        try:
            scheme = load_template(
                membership=membership,
                township=township,
                name=data["template"],
                year=data["year"],
                scheme_name=data["scheme_name"] or None,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("The template was loaded as the draft scheme %(scheme)s.") % {"scheme": scheme}
            )
            return redirect(url(request, "scheme-detail", pk=scheme.pk))
    return _scheme_list(request, membership, template_form=form)


@township_view(Action.EDIT_SCHEME)
@require_POST
def scheme_copy(request, township, membership):
    if request.POST.get("scheme"):
        _scheme(request.POST["scheme"])  # the scheme to copy must be this township's: 404 otherwise
    form = _copy_form(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            scheme = services.copy_scheme(
                membership=membership, scheme=data["scheme"], year=data["year"], name=data["name"] or None
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("The scheme was copied to %(year)d as a draft: check it, then activate it.")
                % {"year": scheme.year},
            )
            return redirect(url(request, "scheme-detail", pk=scheme.pk))
    return _scheme_list(request, membership, copy_form=form)


# One scheme -------------------------------------------------------------------------------------------------


def _scheme(pk) -> Scheme:
    # The township scope limits Scheme to this township: another township's id is "not found".
    return get_visible(Scheme.objects.all(), pk)


def _scheme_detail(request, membership, scheme: Scheme, **forms):
    categories = list(
        scheme.categories.prefetch_related("items")
        .annotate(item_count=Count("items"))
        .order_by("order", "pk")
    )
    can_edit = can(membership, Action.EDIT_SCHEME)
    editable = can_edit and scheme.state != SchemeState.CLOSED
    context = {
        "scheme": scheme,
        "template_title": template_title(scheme.template) if scheme.template else "",
        "categories": categories,
        "role_rules": list(scheme.role_rules.order_by("code")),
        "base_total": selectors.base_total(scheme, categories),
        "can_edit": can_edit,
        "editable": editable,
        "split_choices": SplitPoints.choices,  # a household's life (issue 16): how points divide on a split
        "can_close_year": can(membership, Action.CLOSE_YEAR) and scheme.state != SchemeState.DRAFT,
        "open_form": next((name for name, form in forms.items() if form is not None), ""),
    }
    if editable:
        context.update(
            category_form=forms.get("category_form") or CategoryForm(initial={"order": len(categories) + 1}),
            item_form=forms.get("item_form")
            or ItemCreateForm(categories=scheme.categories.order_by("order")),
            role_form=forms.get("role_form") or RoleRuleForm(),
        )
    return render_page(request, "scoring/scheme_detail.html", context)


@township_view(Action.VIEW)
def scheme_detail(request, township, membership, pk):
    return _scheme_detail(request, membership, _scheme(pk))


@township_view(Action.EDIT_SCHEME)
@require_POST
def category_create(request, township, membership, pk):
    scheme = _scheme(pk)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            category = services.add_category(membership=membership, scheme=scheme, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The category %(name)s was added.") % {"name": category.name})
            return redirect(url(request, "scheme-detail", pk=scheme.pk) + f"#category-{category.pk}")
    return _scheme_detail(request, membership, scheme, category_form=form)


@township_view(Action.EDIT_SCHEME)
@require_POST
def item_create(request, township, membership, pk):
    scheme = _scheme(pk)
    form = ItemCreateForm(request.POST, categories=scheme.categories.order_by("order"))
    if form.is_valid():
        fields = dict(form.cleaned_data)
        category = fields.pop("category")
        try:
            item = services.add_item(membership=membership, category=category, **fields)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The item %(name)s was added.") % {"name": item.name})
            return redirect(url(request, "scheme-detail", pk=scheme.pk) + f"#item-{item.pk}")
    return _scheme_detail(request, membership, scheme, item_form=form)


@township_view(Action.EDIT_SCHEME)
@require_POST
def role_rule_create(request, township, membership, pk):
    scheme = _scheme(pk)
    form = RoleRuleForm(request.POST)
    if form.is_valid():
        try:
            rule = services.add_role_rule(membership=membership, scheme=scheme, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The role %(name)s was added.") % {"name": rule.name})
            return redirect(url(request, "scheme-detail", pk=scheme.pk) + "#roles")
    return _scheme_detail(request, membership, scheme, role_form=form)


def _change_state(request, membership, scheme: Scheme, service, done: str):
    try:
        service(membership=membership, scheme=scheme)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(url(request, "scheme-detail", pk=scheme.pk))


@township_view(Action.EDIT_SCHEME)
@require_POST
def scheme_activate(request, township, membership, pk):
    return _change_state(
        request,
        membership,
        _scheme(pk),
        services.activate_scheme,
        _("The scheme is active: it now takes entries."),
    )


@township_view(Action.EDIT_SCHEME)
@require_POST
def scheme_close(request, township, membership, pk):
    return _change_state(
        request,
        membership,
        _scheme(pk),
        services.close_scheme,
        _("The scheme is closed: it takes no more entries."),
    )


# Items --------------------------------------------------------------------------------------------------------

ITEM_FIELDS = list(ItemEditForm.base_fields)


@township_view(Action.EDIT_SCHEME)
def item_edit(request, township, membership, pk):
    item = get_visible(Item.objects.select_related("category", "category__scheme"), pk)
    scheme = item.category.scheme
    initial = {name: getattr(item, name) for name in ITEM_FIELDS}
    form = ItemEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.update_item(membership=membership, item=item, **changed)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The item was saved. Entries recorded before keep the rule as it was when they were recorded."
                ),
            )
            return redirect(url(request, "scheme-detail", pk=scheme.pk) + f"#item-{item.pk}")
    context = {"item": item, "scheme": scheme, "form": form, "entry_count": item.entries.count()}
    return render_page(request, "scoring/item_form.html", context)


urlpatterns = [
    path("", scheme_list, name="scheme-list"),
    path("schemes/new/", scheme_create, name="scheme-create"),
    path("schemes/load-template/", scheme_load_template, name="scheme-load-template"),
    path("schemes/copy/", scheme_copy, name="scheme-copy"),
    path("schemes/<int:pk>/", scheme_detail, name="scheme-detail"),
    path("schemes/<int:pk>/categories/new/", category_create, name="category-create"),
    path("schemes/<int:pk>/items/new/", item_create, name="item-create"),
    path("schemes/<int:pk>/roles/new/", role_rule_create, name="role-rule-create"),
    path("schemes/<int:pk>/activate/", scheme_activate, name="scheme-activate"),
    path("schemes/<int:pk>/close/", scheme_close, name="scheme-close"),
    path("items/<int:pk>/edit/", item_edit, name="item-edit"),
]
