"""Form fields shared by the apps' forms."""

from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator


class _RowsIterator(ModelChoiceIterator):
    field: "ReadOnceModelChoiceField"

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.rows():
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self.field.rows()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.field.rows())


class ReadOnceModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that reads its choices once per form: the options it renders and the check of the value
    submitted share one query (Django's field asks the database once for each). For the short lists of a page's
    selects (villages, areas), which busy pages render and check on every request."""

    iterator = _RowsIterator
    _rows: list | None = None

    # Django's own property (ModelChoiceField.queryset), with the rows forgotten when the queryset changes; the
    # stubs do not declare its getter and setter.
    def _set_queryset(self, queryset: Any) -> None:
        self._rows = None
        super()._set_queryset(queryset)  # type: ignore[misc]

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)  # type: ignore[attr-defined]

    def rows(self) -> list:
        if self._rows is None:
            self._rows = list(self.queryset)
        return self._rows

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        key = self.to_field_name or "pk"
        if isinstance(value, self.queryset.model):
            value = getattr(value, key)
        found = next((row for row in self.rows() if str(getattr(row, key)) == str(value)), None)
        if found is None:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return found
