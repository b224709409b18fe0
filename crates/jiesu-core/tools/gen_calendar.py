#!/usr/bin/env python3
"""Write crates/jiesu-core/data/china_calendar.csv from the PyPI package `chinesecalendar`.

The package (import name `chinese_calendar`, by LKI, MIT licence) carries the State Council's
yearly holiday notices (国务院办公厅关于20XX年部分节假日安排的通知) as two tables: the days
off (`holidays`) and the weekend days made working days (`workdays`, 调休上班). This script
copies both into one CSV with the columns `date,kind,name`:

    date  YYYY-MM-DD
    kind  holiday  (a day off of the notice, weekends inside the break included)
          workday  (a Saturday or Sunday made a working day)
    name  the festival in Chinese

Rows are sorted by date; UTF-8 without BOM, LF line ends. Usage:

    pip install chinesecalendar          # the one dependency; version noted in data/PROVENANCE.md
    python3 crates/jiesu-core/tools/gen_calendar.py          # rewrite the CSV
    python3 crates/jiesu-core/tools/gen_calendar.py --check  # exit 1 if the CSV is out of date
"""

import argparse
import datetime
import sys
from importlib import metadata
from pathlib import Path

from chinese_calendar.constants import Holiday, holidays, workdays

OUT = Path(__file__).resolve().parent.parent / "data" / "china_calendar.csv"

# The package's English names -> the names the notices use.
NAMES = {
    Holiday.new_years_day.value: "元旦",
    Holiday.spring_festival.value: "春节",
    Holiday.tomb_sweeping_day.value: "清明节",
    Holiday.labour_day.value: "劳动节",
    Holiday.dragon_boat_festival.value: "端午节",
    Holiday.mid_autumn_festival.value: "中秋节",
    Holiday.national_day.value: "国庆节",
    # 国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知 (2015)
    Holiday.anti_fascist_70th_day.value: "抗战胜利70周年纪念日",
}

# Names changed on top of the package, each with its reason.
RENAMES = {
    # 2020: 中秋节 fell on 10月1日, the same day as 国庆节; the notice gives one break,
    # "国庆节、中秋节：10月1日至8日放假调休，共8天". The package labels every day of it
    # National Day, so 2020 would have no 中秋节 at all; name the day that is both.
    datetime.date(2020, 10, 1): "国庆节、中秋节",
}

# Days off the package leaves out, each with its reason.
EXTRA_HOLIDAYS = {
    # 国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知 (2015):
    # "9月3日至5日调休放假，共3天". The package lists 3 and 4 September only; the 5th is a
    # Saturday, so adding it changes no working day, only how the break reads.
    datetime.date(2015, 9, 5): Holiday.anti_fascist_70th_day.value,
}


def rows():
    out = []
    for day in EXTRA_HOLIDAYS:
        if day in holidays or day in workdays:
            sys.exit(f"{day} is in the package now: drop it from EXTRA_HOLIDAYS")
    all_holidays = {**holidays, **EXTRA_HOLIDAYS}
    for kind, table in (("holiday", all_holidays), ("workday", workdays)):
        for day, english in table.items():
            if english not in NAMES:
                sys.exit(f"unknown festival {english!r} on {day}: add it to NAMES")
            name = RENAMES.get(day, NAMES[english])
            out.append((day, kind, name))
    out.sort()
    seen = set()
    for day, kind, name in out:
        if day in seen:
            sys.exit(f"{day} is listed twice in the package")
        seen.add(day)
        if kind == "workday" and day.weekday() < 5:
            sys.exit(f"make-up working day {day} is not a Saturday or Sunday")
    return out


def render():
    lines = ["date,kind,name"]
    lines += [f"{day.isoformat()},{kind},{name}" for day, kind, name in rows()]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    text = render()
    version = metadata.version("chinesecalendar")
    years = sorted({day.year for day, _, _ in rows()})
    summary = f"chinesecalendar {version}: {years[0]}-{years[-1]}, {text.count(chr(10)) - 1} rows"
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            sys.exit(f"{OUT} differs from {summary}; run without --check")
        print(f"{OUT} is up to date ({summary})")
        return
    OUT.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {OUT} ({summary})")


if __name__ == "__main__":
    main()
