#!/usr/bin/env python3
"""windows_junit.py WANT NAME XML…: a pytest run under Wine (in shards) passed only if its junit XMLs say so, whole.

pytest's closing line sometimes goes missing under Wine and a native crash can end the process early,
so the exit code alone proves nothing: every collected test must have a result, none failed, none skipped.
"""

import sys
import xml.etree.ElementTree as ET

want, name, xmls = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
tests = fail = err = skip = 0
for xml in xmls:
    try:
        root = ET.parse(xml).getroot()
    except (OSError, ET.ParseError) as exc:
        sys.exit(f"{name}：没有 junit 结果（pytest 中途退出？）：{exc}")
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    counts = [int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")]
    tests, fail, err, skip = (a + b for a, b in zip((tests, fail, err, skip), counts, strict=True))
    for case in suite.iter("testcase"):
        for bad in [*case.findall("failure"), *case.findall("error"), *case.findall("skipped")]:
            print(f"  ✗ {case.get('classname')}::{case.get('name')}：{(bad.get('message') or '')[:400]}")
# WANT = what Linux collects for the same arguments, 0 = not comparable (platform-dependent parametrization)
ok = tests > 0 and (want == 0 or tests == want) and fail == err == skip == 0
linux = f"（Linux 收集到 {want} 项）" if want else ""
print(f"{name}：{tests} 项，{tests - fail - err - skip} 通过，{fail} 失败，{err} 错误，{skip} 跳过{linux}"
      f"{'' if ok else ' — 未通过'}")
sys.exit(0 if ok else 1)
