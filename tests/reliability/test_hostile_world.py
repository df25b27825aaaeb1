"""Issue 15, the hostile world: every attack is first made with plain Python/sqlite3, then refused.

Each test here fails on the code before the fix (see the issue's numbered items in the test names)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from app.models.store import backup, db
from app.models.store import book as book_module
from app.models.store.book import Book, open_book
from app.models.values.errors import FileError

ROOT = Path(__file__).resolve().parents[2]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def good_file(book: Book) -> Path:
    path = book.path
    book.close(backup=False)
    return path


CRASH_WRITER = r"""
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = DELETE")
conn.execute("PRAGMA cache_size = 5")  # spill to the file before commit, as a big transaction does
conn.execute("BEGIN IMMEDIATE")
table = sys.argv[2]
for i in range(400):
    conn.execute(f"INSERT INTO {table} ({sys.argv[3]}) VALUES (?)", ("x" * 900 + str(i),))
os._exit(0)  # killed before COMMIT: a hot journal stays beside the file
"""


def crash_leaving_journal(path: Path, table: str, column: str) -> Path:
    """Kill a plain sqlite3 writer in mid-transaction; returns the hot journal it leaves."""
    subprocess.run([sys.executable, "-c", CRASH_WRITER, str(path), table, column], check=True, timeout=60)
    journal = path.with_name(path.name + "-journal")
    assert journal.read_bytes()[:8] == bytes.fromhex("d9d505f920a163d7"), "the attack needs a hot journal"
    return journal


def other_database(folder: Path) -> Path:
    other = folder / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO notes (body) VALUES (?)", [("n" * 500,)] * 300)
    conn.commit()
    conn.close()
    return other


# -- 1. a foreign rollback journal -------------------------------------------------------------------------------
def test_01_foreign_journal_is_refused_and_the_file_stays_sound(good_file: Path, tmp_path: Path) -> None:
    other = other_database(tmp_path / "..")
    foreign = crash_leaving_journal(other, "notes", "body")
    journal = good_file.with_name(good_file.name + "-journal")
    journal.write_bytes(foreign.read_bytes())
    before = digest(good_file)
    for read_only in (False, True):
        with pytest.raises(FileError, match="不属于它的日志文件"):
            open_book(good_file, read_only=read_only)
    assert digest(good_file) == before
    assert journal.exists(), "the evidence stays where it was"
    conn = sqlite3.connect(good_file.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    conn.close()


def test_01_foreign_journal_of_another_bureau_file_is_refused(book: Book, tmp_path: Path) -> None:
    """Another FundLedger file's journal: same page size and program, but not this file's page 1."""
    from app.models.store import setup
    from tests.conftest import PASSWORD

    path = book.path
    book.close(backup=False)
    (tmp_path / "b").mkdir()
    second = setup.create(tmp_path / "b" / "second.db", bureau_name="别的县财政局", region_code="659903",
                          level="county", chief_login="chief", chief_name="局长乙", chief_password=PASSWORD)
    for i in range(30):  # a different history: a different change counter
        setup.update_bureau(second, name=f"别的县财政局{i}", region_code="659903", level="county")
    second.close(backup=False)
    conn = sqlite3.connect(second.path, isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS scratch (body TEXT)")
    conn.close()
    foreign = crash_leaving_journal(second.path, "scratch", "body")
    path.with_name(path.name + "-journal").write_bytes(foreign.read_bytes())
    before = digest(path)
    with pytest.raises(FileError, match="不属于它的日志文件"):
        open_book(path)
    assert digest(path) == before


def test_01_own_journal_after_a_crash_is_still_rolled_back(good_file: Path) -> None:
    conn = sqlite3.connect(good_file, isolation_level=None)
    conn.execute("CREATE TABLE scratch (body TEXT)")  # made by someone else, but then rolled away by the crash
    conn.close()
    crash_leaving_journal(good_file, "scratch", "body")
    with open_book(good_file) as again:
        assert again.conn.execute("SELECT count(*) FROM scratch").fetchone()[0] == 0


# -- 2. a file that is not ours, in WAL mode ---------------------------------------------------------------------
def test_02_wal_file_of_another_program_is_not_touched(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("CREATE TABLE notes (body TEXT)")
    writer.executemany("INSERT INTO notes VALUES (?)", [("别的程序",)] * 50)
    target = tmp_path / "wal.db"  # a copy while the writer still holds frames in its WAL
    target.write_bytes(live.read_bytes())
    Path(str(target) + "-wal").write_bytes(Path(str(live) + "-wal").read_bytes())
    writer.close()
    before, wal_before = digest(target), digest(Path(str(target) + "-wal"))
    with pytest.raises(FileError, match="不是 FundLedger 数据库"):
        open_book(target)
    assert digest(target) == before
    assert digest(Path(str(target) + "-wal")) == wal_before


def test_02_newer_fundledger_file_in_wal_mode_is_not_touched(good_file: Path) -> None:
    conn = sqlite3.connect(good_file, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {db.latest_version() + 3}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    before = digest(good_file)
    with pytest.raises(FileError, match="较新版本"):
        open_book(good_file)
    assert digest(good_file) == before


# -- 3. a 0-byte file --------------------------------------------------------------------------------------------
def test_03_empty_file_is_called_empty(tmp_path: Path) -> None:
    empty = tmp_path / "bureau.db"
    empty.write_bytes(b"")
    with pytest.raises(FileError) as err:
        open_book(empty)
    assert "0 字节" in str(err.value) and "不存在" not in str(err.value)
    assert empty.stat().st_size == 0


# -- 4. temporary copies of personal data ------------------------------------------------------------------------
def test_04_read_only_copies_are_removed_on_close_and_at_next_start(good_file: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    conn = sqlite3.connect(good_file, isolation_level=None)
    conn.execute("CREATE TABLE scratch (body TEXT)")
    conn.close()
    crash_leaving_journal(good_file, "scratch", "body")
    before = digest(good_file)
    for _ in range(4):
        ro = open_book(good_file, read_only=True)
        assert "临时副本" in ro.notice
        ro.close()
    assert list(temp.iterdir()) == []
    assert digest(good_file) == before
    # a killed process leaves its copy behind: the next start removes it (the pid is no longer running)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = temp / f"fundledger-ro-p{dead.stdout.strip()}-abc"
    orphan.mkdir()
    (orphan / good_file.name).write_bytes(good_file.read_bytes())
    live = temp / f"fundledger-ro-p{os.getpid()}-def"  # this process's own copy stays
    live.mkdir()
    legacy = temp / "fundledger-ro-8bqjhksb"  # an earlier version's copy: may be in use, kept until a day old
    legacy.mkdir()
    assert book_module.sweep_temp_copies() == [orphan]
    assert not orphan.exists() and live.exists() and legacy.exists()
    os.utime(legacy, (0, 0))
    assert book_module.sweep_temp_copies() == [legacy]


# -- 5. backups that cannot restore ------------------------------------------------------------------------------
def test_05_unusable_files_are_not_listed_as_backups(book: Book) -> None:
    made = backup.make(book, reason="手动")
    folder = backup.backup_dir(book.path)
    (folder / f"{book.path.stem}_20261120-100001_关闭.db").write_bytes(b"")  # killed while writing
    other = sqlite3.connect(folder / f"{book.path.stem}_20261120-100002_关闭.db")
    other.execute("CREATE TABLE t (x)")
    other.commit()
    other.close()
    (folder / f"{book.path.stem}_20261120-100003_关闭.db").write_bytes(made.read_bytes()[:8192])  # truncated
    assert [b.path for b in backup.list_backups(book.path)] == [made]


def test_05_a_backup_that_fails_its_check_never_gets_a_backup_name(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "quick_check_problem", lambda conn, path: f"文件 {path} 已损坏")
    with pytest.raises(FileError, match="备份"):
        backup.make(book, reason="手动")
    folder = backup.backup_dir(book.path)
    assert list(folder.iterdir()) == [] if folder.exists() else True


def test_05_thinning_keeps_every_backup_taken_before_a_sign_off(book: Book) -> None:
    import datetime as dt

    folder = backup.backup_dir(book.path)
    start = dt.datetime(2026, 1, 1, 9)
    for i in range(8):
        backup.copy_file(book.conn, book.path, reason="签发前", now=start + dt.timedelta(days=i, hours=1))
    for i in range(40):
        backup.copy_file(book.conn, book.path, reason="关闭", now=start + dt.timedelta(days=9, minutes=i))
    backup.thin(folder, {"recent": 1, "daily": 0, "weekly": 0, "monthly": 0})
    left = backup.list_backups(book.path)
    assert sum(b.reason == "签发前" for b in left) == 8
    assert os.path.isdir(folder)


# -- 10. passwords -----------------------------------------------------------------------------------------------
def test_10_weak_passwords_are_refused_everywhere(book: Book) -> None:
    from app.models.store import users
    from app.models.values.errors import ValidationError
    from tests.conftest import PASSWORD

    clerk = book.conn.execute("SELECT id FROM users WHERE login = 'clerk'").fetchone()[0]
    for weak in ("short1", "clerk", "Clerk123", "12345678", "Password", "88888888", "qwerty123"):
        with pytest.raises(ValidationError):
            users.reset_password(book, user_id=clerk, password=weak)
    with pytest.raises(ValidationError, match="登录名"):
        users.add_user(book, login="zhangsan", name="张三", role="clerk", password="zhangsan")
    with pytest.raises(ValidationError, match="常见"):
        users.change_own_password(book, old=PASSWORD, new="password123")
    users.change_own_password(book, old=PASSWORD, new="Tianshan-2026")


def test_10_production_scrypt_is_owasp_and_old_hashes_are_upgraded_on_login(book: Book,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from app.models.store import users
    from tests.conftest import PASSWORD

    shipped = subprocess.run([sys.executable, "-c", "from app.models.store import users as u; "
                              "print(u.hash_password('Tianshan-2026').split('$')[1:4])"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert shipped.stdout.strip() == "['131072', '8', '1']", shipped.stderr
    monkeypatch.setattr(users, "SCRYPT_N", 2**10)
    users.add_user(book, login="old", name="旧哈希", role="clerk", password=PASSWORD)
    assert book.conn.execute("SELECT pw_hash FROM users WHERE login='old'").fetchone()[0].startswith("scrypt$1024$")
    monkeypatch.setattr(users, "SCRYPT_N", 2**11)
    users.login(book, "old", PASSWORD)
    assert book.conn.execute("SELECT pw_hash FROM users WHERE login='old'").fetchone()[0].startswith("scrypt$2048$")
    users.login(book, "old", PASSWORD)


def test_10_lockout_refuses_the_right_password_until_unlocked(book: Book, clock) -> None:  # noqa: ANN001
    import datetime as dt

    from app.models.store import users
    from app.models.values.errors import AppError
    from tests.conftest import PASSWORD

    for _ in range(users.MAX_FAILED_LOGINS - 1):
        with pytest.raises(AppError, match="再错"):
            users.login(book, "clerk", "wrong-password-x")
    with pytest.raises(AppError, match="锁定"):
        users.login(book, "clerk", "wrong-password-x")
    with pytest.raises(AppError, match="锁定"):
        users.login(book, "clerk", PASSWORD)  # the right password, refused while locked
    raw = sqlite3.connect(book.path.resolve().as_uri() + "?mode=ro", uri=True)  # stored in the file itself
    count, until = raw.execute("SELECT failed_logins, locked_until FROM users WHERE login='clerk'").fetchone()
    ops = [r[0] for r in raw.execute("SELECT op FROM audit_log WHERE tbl='users' ORDER BY seq")]
    raw.close()
    assert count == users.MAX_FAILED_LOGINS and until > book.stamp()
    assert ops.count("login_failed") == users.MAX_FAILED_LOGINS - 1 and "lock_user" in ops
    users.login(book, "chief", PASSWORD)
    listed = {u["login"]: u for u in users.list_users(book)}
    assert listed["clerk"]["locked"] and listed["clerk"]["failed_logins"] == users.MAX_FAILED_LOGINS
    users.unlock(book, user_id=listed["clerk"]["id"])
    users.login(book, "clerk", PASSWORD)
    # and without the chief, the lock ends by itself
    for _ in range(users.MAX_FAILED_LOGINS):
        with pytest.raises(AppError):
            users.login(book, "clerk", "wrong-password-x")
    clock.now += dt.timedelta(minutes=users.LOCK_MINUTES + 1)
    users.login(book, "clerk", PASSWORD)


def test_10_password_hashes_never_reach_the_audit_log_and_verify_still_proves_them(book: Book) -> None:
    from app.export import evidence
    from app.models.store import users

    clerk = book.conn.execute("SELECT id FROM users WHERE login = 'clerk'").fetchone()[0]
    users.reset_password(book, user_id=clerk, password="Kunlun-Shan-9")
    logged = " ".join(str(r[0]) + str(r[1]) for r in book.conn.execute("SELECT before, after FROM audit_log"))
    assert "scrypt$" not in logged
    assert evidence.verify(book).ok
    path = book.path
    book.close(backup=False)
    raw = sqlite3.connect(path)  # the insider swaps the chief's hash for one he knows, triggers and all
    raw.execute("DROP TRIGGER fl_audit_users_u")
    raw.execute("UPDATE users SET pw_hash = (SELECT pw_hash FROM users WHERE login = 'clerk') WHERE login = 'chief'")
    raw.commit()
    raw.close()
    with open_book(path, read_only=True) as again:
        text = evidence.verify(again).text()
    assert "chief" in text and "密码哈希" in text


def test_10_an_older_file_is_upgraded_and_still_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.export import evidence
    from app.models.store import users
    from tests.conftest import PASSWORD, file_made_before

    path = file_made_before(10, tmp_path, monkeypatch)  # a file as the version before this one made it
    with sqlite3.connect(path) as raw:
        assert any("scrypt$" in (r[0] or "") for r in raw.execute("SELECT after FROM audit_log"))
    with open_book(path) as up:
        assert db.user_version(up.conn) == db.latest_version()
        users.login(up, "chief", PASSWORD)
        assert evidence.verify(up).ok, evidence.verify(up).text()
        users.change_own_password(up, old=PASSWORD, new="Bogda-Feng-5445")
        seq = up.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        assert "scrypt$" not in up.conn.execute("SELECT after FROM audit_log WHERE seq = ?", (seq,)).fetchone()[0]
        assert evidence.verify(up).ok


# -- 11. commands that act before login --------------------------------------------------------------------------
def _cli(*args: str, password: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, FUNDLEDGER_PASSWORD=password)
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def test_11_nothing_is_backed_up_or_thinned_before_login(book: Book) -> None:
    import datetime as dt

    start = dt.datetime(2026, 1, 31, 18)
    for i in range(8):
        backup.copy_file(book.conn, book.path, reason="签发前", now=start + dt.timedelta(days=31 * i))
    path = book.path
    book.close(backup=False)
    before = sorted(p.name for p in backup.backup_dir(path).iterdir())
    refused = _cli("backup", str(path), password="wrong-password-x")
    assert refused.returncode != 0 and "--user" in refused.stderr
    for _ in range(11):
        wrong = _cli("template-remove", str(path), "--table", "1", "--user", "chief", password="wrong-password-x")
        assert wrong.returncode == 2, wrong.stderr
    assert sorted(p.name for p in backup.backup_dir(path).iterdir()) == before


# -- 6–9. workbooks that lie, built byte by byte with zipfile ----------------------------------------------------
TREASURY_HEADER = ["支付凭证号", "支付日期", "指标文号", "收款人全称", "收款人账号", "金额"]


def _letters(col: int) -> str:
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def _cell(ref: str, value: object) -> str:
    if isinstance(value, tuple):  # ("f", formula, cached); a text result is cached as t="str", as Excel writes it
        kind = ' t="str"' if isinstance(value[2], str) else ""
        return f'<c r="{ref}"{kind}><f>{value[1]}</f><v>{value[2]}</v></c>'
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.startswith("#n:")):
        text = value[3:] if isinstance(value, str) else repr(value)
        return f'<c r="{ref}"><v>{text}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def raw_xlsx(path: Path, rows: list[list[object]], *, sheet: str = "Sheet1", sheet_xml: str | None = None,
             shared: bytes | None = None, extra_sheets: dict[str, list[list[object]]] | None = None) -> Path:
    """A workbook written with nothing but zipfile: what a hostile sender can put in one."""
    import zipfile

    def body(rs: list[list[object]]) -> str:
        out = []
        for r, cells in enumerate(rs, start=1):
            out.append(f'<row r="{r}">' + "".join(_cell(f"{_letters(c)}{r}", v) for c, v in enumerate(cells)
                                                   if v is not None) + "</row>")
        return ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                + "".join(out) + "</sheetData></worksheet>")

    sheets = {sheet: sheet_xml if sheet_xml is not None else body(rows)}
    for name, rs in (extra_sheets or {}).items():
        sheets[name] = body(rs)
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/>'
                   + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.'
                             'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                             for i in range(1, len(sheets) + 1))
                   + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                      'officedocument.spreadsheetml.sharedStrings+xml"/>' if shared is not None else "")
                   + "</Types>")
        z.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                   'officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f"<workbook {ns}><sheets>" + "".join(
            f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(sheets, start=1))
            + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' + "".join(
                       f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
                   + ('<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      'relationships/sharedStrings" Target="sharedStrings.xml"/>' if shared is not None else "")
                   + "</Relationships>")
        for i, xml in enumerate(sheets.values(), start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
    return path


def treasury_errors(path: Path) -> tuple[list[object], list[tuple[int, str, str]]]:
    import datetime as dt

    from app.models.ledger import treasury_file as tf

    sheet = tf.open_sheet(path)
    return tf.parse_rows(sheet, tf.resolve_mapping(sheet.headers), today=dt.date(2026, 12, 31))


def test_06_a_stale_cached_formula_value_is_refused_naming_the_cell(tmp_path: Path) -> None:
    path = raw_xlsx(tmp_path / "国库.xlsx", [TREASURY_HEADER,
                                            ["ZF1", "2026-04-02", "新财农〔2026〕1号", "某公司", "62220001", ("f", "100*2", 999999)]])
    rows, errors = treasury_errors(path)
    assert rows == [] and len(errors) == 1
    assert "Sheet1!F2" in errors[0][2] and "公式" in errors[0][2]


def test_06_formulas_in_amount_and_id_columns_of_form_imports(tmp_path: Path) -> None:
    from app.models.payments import real_name
    from app.models.values.errors import RowErrors
    from app.models.xlsx import sheets

    path = raw_xlsx(tmp_path / "名册.xlsx", [["姓名*", "身份证号*", "村*", "金额（元）*", "账号*"],
                                             ["张三", "650102199001011234", "一村", ("f", "100*2", 999999), "62220001"]],
                    sheet="名册")
    wb = sheets.load(path.read_bytes(), path.name)
    with pytest.raises(RowErrors) as err:
        sheets.rows(wb, real_name.COLUMNS, strict=("amount",))
    assert "名册!D2" in str(err.value.errors)


def test_06_formulas_in_name_and_village_columns_whose_cache_lies(tmp_path: Path) -> None:
    """Attack review: the refusal covered ID, amount and account only; 姓名 ="王五" cached as 李四 and 村 ="二"&"村"
    cached as 一村 were imported at the cached (stale) values. Any formula cell of any column is refused now."""
    from app.models.payments import real_name
    from app.models.values.errors import RowErrors
    from app.models.xlsx import sheets

    path = raw_xlsx(tmp_path / "名册.xlsx", [["姓名*", "身份证号*", "村*", "金额（元）*", "账号*"],
                                             ["张三", "650102199001011234", ("f", 'T("二村")', "一村"), 100, "62220001"],
                                             [("f", '"王五"', "李四"), "650102199001011250", "一村", 100, "62220002"]],
                    sheet="名册")
    wb = sheets.load(path.read_bytes(), path.name)
    with pytest.raises(RowErrors) as err:
        sheets.rows(wb, real_name.COLUMNS, strict=("amount",))
    cells = str(err.value.errors)
    assert "名册!C2" in cells and "名册!A3" in cells


def test_07_identifiers_stored_as_numbers_are_refused_with_the_text_hint(tmp_path: Path) -> None:
    path = raw_xlsx(tmp_path / "国库.xlsx", [TREASURY_HEADER,
                                            ["ZF1", "2026-04-02", "新财农〔2026〕1号", "某公司", "#n:6.2284800880123497E+18", 100],
                                            ["#n:2026000123", "2026-04-02", "新财农〔2026〕1号", "某公司", "62220001", 100]])
    rows, errors = treasury_errors(path)
    assert rows == []
    assert [(r, f) for r, f, _ in errors] == [(2, "收款人账号"), (3, "支付凭证号")]
    assert all("设为“文本”" in m for _r, _f, m in errors)


def test_07_goal_and_plan_codes_stored_as_numbers_are_refused(book: Book, tmp_path: Path) -> None:
    from app.models.performance import goals_import
    from app.models.plan import plan_import
    from app.models.values.errors import RowErrors

    goals = raw_xlsx(tmp_path / "绩效.xlsx", [["项目编号", "一级指标", "二级指标", "三级指标", "比较符", "目标值", "计量单位"],
                                              ["#n:2026001", "产出指标", "数量指标", "户数", "≥", "10", "户"]])
    with pytest.raises(RowErrors, match="设为“文本”"):
        goals_import.import_goals(book, goals)
    plan = raw_xlsx(tmp_path / "计划.xlsx", [[c.title for c in plan_import.PROJECT_COLUMNS],
                                             ["#n:2026001"] + ["x"] * (len(plan_import.PROJECT_COLUMNS) - 1)],
                    sheet="项目", extra_sheets={"资金来源": [[c.title for c in plan_import.FUNDING_COLUMNS]]})
    with pytest.raises(RowErrors) as err:
        plan_import.parse(book, plan.read_bytes(), plan.name)
    assert any("项目!A2" in m and "设为“文本”" in m for _r, _f, m in err.value.errors)


BOMB_CHILD = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (300 * 1024 * 1024, 300 * 1024 * 1024))
resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
from pathlib import Path
from app.models.values.errors import AppError
path, how = Path(sys.argv[1]), sys.argv[2]
try:
    if how == "treasury":
        import datetime as dt
        from app.models.ledger import treasury_file as tf
        sheet = tf.open_sheet(path)
        tf.parse_rows(sheet, tf.resolve_mapping(sheet.headers), today=dt.date(2026, 12, 31))
    else:
        from app.models.payments import real_name
        from app.models.xlsx import sheets
        sheets.rows(sheets.load(path.read_bytes(), path.name), real_name.COLUMNS)
except AppError as exc:
    print("REFUSED", exc)
    sys.exit(0)
print("ACCEPTED")
sys.exit(1)
"""


def run_bomb(path: Path, how: str) -> str:
    """The import in a child limited to 300 MB of address space and 60 s of CPU: a hang or a blow-up kills it."""
    done = subprocess.run([sys.executable, "-c", BOMB_CHILD, str(path), how], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    assert done.stdout.startswith("REFUSED"), done.stdout
    return done.stdout


def _sheet(rows_xml: str, dimension: str = "") -> str:
    return ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + (f'<dimension ref="{dimension}"/>' if dimension else "") + f"<sheetData>{rows_xml}</sheetData></worksheet>")


HEAD_XML = '<row r="1">' + "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                                   for i, h in enumerate(TREASURY_HEADER)) + "</row>"
ROSTER_XML = '<row r="1">' + "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                                     for i, h in enumerate(["姓名*", "身份证号*", "村*", "金额（元）*", "账号*"])) + "</row>"


@pytest.mark.parametrize("how", ["treasury", "form"])
@pytest.mark.parametrize("trap", ["row 2000000000", "cell ZZZZZZ5", "dimension XFD1048576"])
def test_08_sheet_bombs_are_refused_quickly_in_little_memory(tmp_path: Path, how: str, trap: str) -> None:
    head = HEAD_XML if how == "treasury" else ROSTER_XML
    xml = {"row 2000000000": _sheet(head + '<row r="2000000000"><c r="A2000000000"><v>1</v></c></row>'),
           "cell ZZZZZZ5": _sheet(head + '<row r="5"><c r="ZZZZZZ5"><v>1</v></c></row>'),
           "dimension XFD1048576": _sheet(head + '<row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c></row>'
                                                 '<row r="20000"><c r="XFD20000"><v>1</v></c></row>',
                                          dimension="A1:XFD1048576")}[trap]
    path = raw_xlsx(tmp_path / "bomb.xlsx", [], sheet_xml=xml)
    assert path.stat().st_size < 4096
    assert "文件异常" in run_bomb(path, how)


@pytest.fixture(scope="session")
def string_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1.5 GB of shared string in a ~1.5 MB file, written in 16 MB pieces (the test never holds it)."""
    import zipfile

    path = tmp_path_factory.mktemp("bomb") / "strings.xlsx"
    raw_xlsx(path, [], sheet_xml=_sheet(HEAD_XML + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'), shared=b"<sst/>")
    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist() if n != "xl/sharedStrings.xml"}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for n, data in parts.items():
            z.writestr(n, data)
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
            chunk = b"A" * (16 << 20)
            for _ in range(90):
                fh.write(chunk)
            fh.write(b"</t></si></sst>")
    return path


@pytest.mark.parametrize("how", ["treasury", "form"])
def test_08_a_huge_shared_string_is_refused_quickly_in_little_memory(string_bomb: Path, how: str) -> None:
    assert string_bomb.stat().st_size < 3 * 1024 * 1024
    out = run_bomb(string_bomb, how)
    assert "sharedStrings.xml" in out and "文件异常" in out


def test_09_float_artefacts_round_to_fen_and_real_third_decimals_do_not(tmp_path: Path) -> None:
    from app.models.values.errors import ValidationError
    from app.models.xlsx import sheets

    assert sheets.cell_fen(0.1 + 0.2, "金额") == 30
    assert sheets.cell_fen(1234567.89, "金额") == 123456789
    for bad in (0.305, 5.0000000051, 0.300001):
        with pytest.raises(ValidationError):
            sheets.cell_fen(bad, "金额")
    path = raw_xlsx(tmp_path / "国库.xlsx", [TREASURY_HEADER,
                                            ["ZF1", "2026-04-02", "新财农〔2026〕1号", "某公司", "62220001", 0.30000000000000004],
                                            ["ZF2", "2026-04-02", "新财农〔2026〕1号", "某公司", "62220001", 5.0000000051]])
    rows, errors = treasury_errors(path)
    assert [r.amount for r in rows] == [30]  # type: ignore[attr-defined]
    assert [(r, f) for r, f, _ in errors] == [(3, "金额")]


def test_09_a_renamed_csv_is_called_a_csv(tmp_path: Path) -> None:
    from app.models.ledger import treasury_file as tf
    from app.models.values.errors import ValidationError
    from app.models.xlsx import sheets

    path = tmp_path / "支付.xlsx"
    path.write_text(",".join(TREASURY_HEADER) + "\nZF1,2026-04-02,文号,某公司,62220001,100\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="CSV"):
        tf.open_sheet(path)
    with pytest.raises(ValidationError, match="CSV"):
        sheets.load(path.read_bytes(), path.name)


# -- 13. locks that nobody could break ---------------------------------------------------------------------------
def _write_lock(path: Path, text: str) -> None:
    path.with_name(path.name + ".lock").write_text(text, encoding="utf-8")


def test_13_a_lock_from_another_pc_can_be_broken_after_a_warning_and_is_audited(good_file: Path) -> None:
    import json

    from app.export import evidence
    from app.models.values.errors import LockedError

    _write_lock(good_file, json.dumps({"host": "财政局-科长电脑", "user": "kezhang", "pid": 4242,
                                       "time": "2026-11-18T09:30:00"}, ensure_ascii=False))
    with pytest.raises(LockedError) as first:
        open_book(good_file)
    assert "财政局-科长电脑" in str(first.value) and "已持续" in str(first.value) and "强制解除" in str(first.value)
    _write_lock(good_file, json.dumps({"host": "另一台电脑", "user": "x", "pid": 1, "time": "2026-11-19T09:30:00"}))
    with pytest.raises(LockedError):  # the lock changed after the warning: not the one the user chose to break
        open_book(good_file, break_lock=first.value.holder)
    with pytest.raises(LockedError) as second:
        open_book(good_file)
    with open_book(good_file, break_lock=second.value.holder) as opened:
        row = opened.conn.execute("SELECT holder, broken_by FROM lock_breaks").fetchone()
        assert "另一台电脑" in row[0]
        assert opened.conn.execute("SELECT count(*) FROM audit_log WHERE op = 'break_lock'").fetchone()[0] == 1
        assert evidence.verify(opened).ok
    assert not good_file.with_name(good_file.name + ".lock").exists()


def test_13_an_empty_lock_file_says_what_it_is_and_can_be_broken(good_file: Path) -> None:
    from app.models.values.errors import LockedError

    _write_lock(good_file, "")
    with pytest.raises(LockedError) as err:
        open_book(good_file)
    assert "锁文件是空的" in str(err.value) and "计算机 ?" not in str(err.value)
    open_book(good_file, break_lock=err.value.holder).close(backup=False)


def test_13_a_reused_pid_or_a_live_stranger_on_this_host_is_a_stale_lock(good_file: Path) -> None:
    import json
    import socket

    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # a lock whose pid now belongs to another process that started later (the pid was reused)
        _write_lock(good_file, json.dumps({"host": socket.gethostname(), "user": "u", "pid": stranger.pid,
                                           "started": "1", "time": "2026-11-18T09:30:00"}))
        open_book(good_file).close(backup=False)
        # an old-format lock (no start time) whose live pid is not FundLedger
        _write_lock(good_file, json.dumps({"host": socket.gethostname(), "user": "u", "pid": stranger.pid,
                                           "time": "2026-11-18T09:30:00"}))
        open_book(good_file).close(backup=False)
    finally:
        stranger.kill()
        stranger.wait()


# -- 14. a sign-off killed after its commit ----------------------------------------------------------------------
def test_14_a_signed_month_without_its_package_is_offered_and_written_byte_for_byte(tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch
                                                                                     ) -> None:
    import json
    import random

    from app.export import manifest, signoff
    from app.models.store import users
    from tests.reliability import crash_child as cc

    path = cc.prepare(tmp_path / "bureau.db")
    book = open_book(path)
    users.login(book, "clerk", cc.PASSWORD)
    cc.payment_flow(book, random.Random(1), 1)
    users.login(book, "chief", cc.PASSWORD)
    out = tmp_path / "sent"

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies after COMMIT, before the files are written

    monkeypatch.setattr(signoff.manifest, "write_package", killed)
    with pytest.raises(KeyboardInterrupt):
        signoff.sign_off(book, password=cc.PASSWORD, month="2026-01", out_dir=out)
    monkeypatch.undo()
    with pytest.raises(signoff.PackageNotWritten) as err:
        signoff.sign_off(book, password=cc.PASSWORD, month="2026-01", out_dir=out)
    assert "write-package" in str(err.value) and "请先重新打开" not in str(err.value)
    recorded = json.loads(book.conn.execute("SELECT files FROM signoffs WHERE month = '2026-01'").fetchone()[0])
    book.close(backup=False)
    done = subprocess.run([sys.executable, "-m", "app", "write-package", str(path), "--month", "2026-01", "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    folder = err.value.folder
    assert {p.name: manifest.sha256(p.read_bytes()) for p in folder.iterdir()} == recorded
