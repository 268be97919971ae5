"""The import_roster and export_roster management commands: they open the township scope themselves."""

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from core.tenancy import no_township_scope, township_scope
from households.models import Household, ImportBatch, ImportStatus
from tests.households.test_importing import GOOD_ROWS, HEADERS, ID_WANG, KNOWN_ID, counts, row, xlsx

pytestmark = pytest.mark.django_db


def run(*args, **options):
    with no_township_scope():  # as from a shell: no scope until the command opens one
        call_command(*args, **options)


def test_without_commit_the_command_only_checks_and_prints_the_preview(world, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx(tmp_path, GOOD_ROWS))
    run("import_roster", str(path), township="town-a", user="a-township_admin")
    out = capsys.readouterr().out
    assert "households: 3, residents: 5, new areas: 1 (a东村 / 二组)" in out
    assert counts(world.a.township) == (2, 2, 2)
    assert ImportBatch.objects.count() == 0


def test_with_commit_the_command_imports_and_records_the_batch(world, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx(tmp_path, GOOD_ROWS))
    run("import_roster", str(path), township="town-a", user="a-township_admin", commit=True)
    assert counts(world.a.township) == (5, 7, 3)
    with township_scope(world.a.township):
        batch = ImportBatch.objects.get()
        assert (batch.status, batch.uploaded_by, batch.household_count) == (
            ImportStatus.COMMITTED,
            world.a.admin,
            3,
        )
        assert Household.objects.get(number="A-101").members.get(is_head=True).id_number == ID_WANG
    assert counts(world.b.township) == (2, 2, 2)


def test_errors_are_printed_with_row_and_column_and_exit_code_1(world, tmp_path, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx(tmp_path, [row(number="A-001"), row(number="A-002", name="", id_no=KNOWN_ID)]))
    with pytest.raises(CommandError) as failure:
        run("import_roster", str(path), township="town-a", user="a-township_admin", commit=True)
    assert failure.value.returncode == 1
    err = capsys.readouterr().err
    assert "row 2 [户号]" in err and "row 3 [姓名]" in err and "row 3 [身份证号码]" in err
    assert counts(world.a.township) == (2, 2, 2)


def test_a_file_level_problem_exits_1(world, tmp_path, capsys):
    path = tmp_path / "wrong.xlsx"
    path.write_bytes(xlsx(tmp_path, [["x"]], headers=["名字"]))
    with pytest.raises(CommandError) as failure:
        run("import_roster", str(path), township="town-a", user="a-township_admin")
    assert failure.value.returncode == 1
    captured = capsys.readouterr()
    assert (
        "名字" in captured.out and "请选择这些字段所在的列：村、片区、户号、姓名、是否户主。" in captured.err
    )


def test_the_command_respects_the_users_role_and_villages(world, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx(tmp_path, GOOD_ROWS))
    with pytest.raises(CommandError, match="may not edit"):
        run("import_roster", str(path), township="town-a", user="a-supervisor", commit=True)
    with pytest.raises(CommandError, match="may not edit"):
        run("import_roster", str(path), township="town-a", user="b-township_admin", commit=True)
    with pytest.raises(CommandError) as failure:  # the clerk keeps a东村, not a西村 (rows 5 and 6)
        run("import_roster", str(path), township="town-a", user="a-village_clerk", commit=True)
    assert failure.value.returncode == 1
    assert "row 5 [村]" in capsys.readouterr().err
    assert counts(world.a.township) == (2, 2, 2)


def test_export_roster_writes_every_household_with_full_numbers(world, tmp_path):
    out = tmp_path / "export.xlsx"
    run("export_roster", township="town-a", out=str(out))
    rows = [list(r) for r in openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    assert [(r[0], r[2], r[6]) for r in rows[1:]] == [
        ("a东村", "A-001", "张三明"),
        ("a西村", "A-002", "李四"),
    ]
    assert rows[1][10] == KNOWN_ID


def test_export_roster_refuses_an_unknown_township(world, tmp_path):
    with pytest.raises(CommandError, match="No township"):
        run("export_roster", township="nowhere", out=str(tmp_path / "x.xlsx"))
