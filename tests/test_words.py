"""Django's own words on our forms read in Chinese: no "---------" blank choice, and its validation messages with
full-width punctuation (issue 17, "Everyone's words")."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import translation


class _Form(forms.Form):
    kind = forms.ChoiceField(choices=[("", "---------"), ("a", "A")], required=False)
    person = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)
    day = forms.DateField(required=False)
    count = forms.IntegerField(max_value=30, required=False)
    name = forms.CharField(max_length=3, required=False)


def test_a_blank_choice_reads_please_choose_instead_of_dashes():
    with translation.override("zh-hans"):
        html = str(_Form())

    assert html.count("请选择") == 2 and "---------" not in html


def test_djangos_validation_messages_read_as_a_clerk_would_write_them():
    form = _Form({"day": "2026-02-30", "count": "31", "name": "张三丰四"})
    with translation.override("zh-hans"):
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}

    assert errors == {
        "day": ["请输入有效的日期。"],
        "count": ["不能大于 30。"],
        "name": ["最多 3 个字（现在有 4 个）。"],
    }
