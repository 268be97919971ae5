"""Forms of the role pages (seed 2: a student made a class officer) and of a school's one-step student form.
They check the shape of the input; the rules live in the services (DomainError). Querysets are built in
`__init__`, inside the request's township scope."""

from django import forms
from django.utils.translation import gettext_lazy as _

from households.forms import AreaChoiceField
from households.models import Gender

from .models import RoleRule
from .services.roles import REASON_MAX, TITLE_MAX


class RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RoleRule) -> str:
        return f"{obj.scheme.name} · {obj.name}"


def _title_field(required: bool) -> forms.CharField:
    return forms.CharField(
        label=_("Post"),
        max_length=TITLE_MAX,
        required=required,
        help_text=_("For example 班长, 学习委员, 数学课代表, 宿舍长, 组长."),
        widget=forms.TextInput(attrs={"list": "officer-posts", "autocomplete": "off"}),
    )


class RoleForm(forms.Form):
    role = RoleChoiceField(label=_("Role"), queryset=None)
    title = _title_field(required=False)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        required=False,
        help_text=_("Optional; kept in the history (e.g. elected by the class on 1 September)."),
    )

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = roles
        self.fields["role"].empty_label = _("Choose a role")


class EndRoleForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        required=False,
        help_text=_("Optional; kept in the history."),
    )


class StudentForm(forms.Form):
    """A school's student in one step: number, name, gender, group and, optionally, an officer's post."""

    number = forms.CharField(label=_("Student number"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=50)
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", "—"), *Gender.choices], required=False)
    area = AreaChoiceField(label=_("Group"), queryset=None)
    role = RoleChoiceField(label=_("Officer role (optional)"), queryset=None, required=False)
    title = _title_field(required=False)

    def __init__(self, *args, areas, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["area"].empty_label = _("Choose a group")
        self.fields["role"].queryset = roles
        self.fields["role"].empty_label = _("No role: an ordinary student")

    def clean(self):
        data = super().clean()
        if data.get("title") and not data.get("role"):
            self.add_error("role", _("Choose the role that goes with the post."))
        return data
