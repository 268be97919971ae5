"""The platform's township form: the shape of the input; the rules live in services.create_township."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.vocabulary import OrganisationKind


class TownshipCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Township name"), max_length=100, help_text=_("For example: 青山镇, 实验小学.")
    )
    slug = forms.CharField(
        label=_("Short name"),
        max_length=60,
        help_text=_("Letters, digits and hyphens; it appears in the township's addresses: /t/short-name/."),
    )
    kind = forms.ChoiceField(label=_("Kind of organisation"), choices=OrganisationKind.choices)
    timezone = forms.CharField(label=_("Time zone"), max_length=64, initial="Asia/Shanghai")
    admin_username = forms.CharField(label=_("First administrator's username"), max_length=150)
    admin_name = forms.CharField(label=_("Administrator's name"), max_length=150, required=False)
    admin_password = forms.CharField(
        label=_("First password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty and Jifen makes one, shown to you once after the township is created."),
    )
    places = forms.FileField(
        label=_("Villages and areas (.xlsx)"),
        required=False,
        help_text=_("Optional: one row per area, columns 村 and 片区 (or 组), optionally 村编码."),
    )


class TownshipSearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name or short name"), max_length=100, required=False)
