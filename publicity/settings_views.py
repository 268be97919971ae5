"""The township office's settings page: how notices name households and say how to object (NoticeSettings), what
Jifen always masks, and links to the settings kept elsewhere (each scheme's reward settings, incentive policies)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.permissions import Action
from core.views import render_page, township_view
from households.forms import add_domain_error
from scoring.models import Scheme, SchemeState

from . import services
from .models import NoticeSettings
from .selectors import notice_settings


class NoticeSettingsForm(forms.Form):
    full_names = forms.BooleanField(
        label=gettext_lazy("Show full names on public notices"),
        required=False,
        help_text=gettext_lazy(
            "Off: names are masked (张*明). ID and phone numbers never appear on a notice."
        ),
    )
    contact = forms.CharField(
        label=gettext_lazy("How to object"),
        max_length=NoticeSettings._meta.get_field("contact").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Printed on notices: where and how villagers raise an objection (office, phone)."
        ),
    )


@township_view(Action.MANAGE_TOWNSHIP)
def township_settings(request, township, membership):
    current = notice_settings(township)
    form = NoticeSettingsForm(
        request.POST or None, initial={"full_names": current.full_names, "contact": current.contact}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_notice_settings(membership=membership, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The notice and privacy settings were saved."))
            return redirect(reverse("publicity:township-settings", kwargs={"township_slug": township.slug}))
    schemes = Scheme.objects.exclude(state=SchemeState.CLOSED).order_by("-year", "name", "pk")
    context = {"form": form, "schemes": list(schemes), "saved": current.pk is not None}
    return render_page(request, "publicity/township_settings.html", context)


urlpatterns = [
    path("t/<slug:township_slug>/settings/", township_settings, name="township-settings"),
]
