#!/usr/bin/env python3
"""Golden tests for plans: `lethe plan` of every recipe in images/ and
tests/golden/recipes/ must equal tests/golden/plans/<name>.json.
    check_plans.py LETHE [--update]"""

import difflib
import glob
import os
import subprocess
import sys

lethe = sys.argv[1]
update = "--update" in sys.argv[2:]
top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
recipes = sorted(glob.glob(os.path.join(top, "images", "*.yaml")) +
                 glob.glob(os.path.join(top, "tests", "golden", "recipes", "*.yaml")))
failures = 0
for recipe in recipes:
    name = os.path.splitext(os.path.basename(recipe))[0]
    relative = os.path.relpath(recipe, top)
    result = subprocess.run([lethe, "plan", relative], cwd=top, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # Recipes that must be refused keep the error text as their golden output.
    actual = result.stdout if result.returncode == 0 else f"exit {result.returncode}\n{result.stderr}"
    actual = actual.replace(top, "$TOP")
    golden = os.path.join(top, "tests", "golden", "plans", name + ".json")
    if update:
        with open(golden, "w") as f:
            f.write(actual)
        print(f"updated {os.path.relpath(golden, top)}")
        continue
    expected = open(golden).read() if os.path.exists(golden) else ""
    if actual != expected:
        failures += 1
        print(f"FAIL: {relative}: plan differs from {os.path.relpath(golden, top)}")
        sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "golden", "actual"))
    else:
        print(f"ok: {relative}")
print(f"{len(recipes) - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
