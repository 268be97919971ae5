"""The form of the public notice pages (no login): what anyone who reads a notice gives to object. Every notice's
page uses it, a round's (publicity) and the demonstration programme's; the services check the rest
(`review.services.checked_objector`)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PublicObjectionForm(forms.Form):
    """What anyone who reads a public notice gives to object (every notice's page: a round's, the demonstration
    programme's). `website` is a honeypot: people never see it, simple bots fill it in."""

    objector_name = forms.CharField(
        label=_("Your name"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    objector_phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=11,
        # A phone's number pad, not its full keyboard.
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    reason = forms.CharField(
        label=_("What is wrong with the result"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, _("This field contains characters that are not allowed."))
        return cleaned
