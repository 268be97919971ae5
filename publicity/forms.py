from django import forms
from django.utils.translation import gettext_lazy as _


class ObjectionForm(forms.Form):
    """The public objection form. `website` is a honeypot: people never see it, simple bots fill it in."""

    objector_name = forms.CharField(label=_("Your name"), max_length=50)
    objector_phone = forms.CharField(label=_("Your mobile number"), max_length=11)
    household = forms.ChoiceField(label=_("Household concerned"))
    reason = forms.CharField(
        label=_("What is wrong with the result"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args, households=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].choices = [("", "—")] + [(str(h.pk), label) for h, label in households]

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, _("This field contains characters that are not allowed."))
        return cleaned
