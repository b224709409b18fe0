#!/usr/bin/env python3
"""Writes data/address_testset.csv: labelled, real-looking Beijing address strings.

Built from the official division names (../shared/data/divisions/beijing_streets.csv, or the
copy shipped in crates/jiesu-reference/data/divisions/beijing_streets.csv) with the ways
callers say where they are: full names, short names, district + street, street alone, with
house numbers, compounds and filler words. Labels: the district and street a careful human
would write down, or `ambiguous` when the string cannot tell (the same street name in two
districts, said without its district). Deterministic (seeded); run again to regenerate:

    python3 crates/jiesu-assist/tools/gen_address_testset.py
"""
import csv
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "jiesu-reference", "data", "divisions", "beijing_streets.csv")
OUT = os.path.join(HERE, "..", "data", "address_testset.csv")

SUFFIXES = ["街道办事处", "街道", "地区办事处", "地区", "民族乡", "镇", "乡"]


def short(name):
    for s in SUFFIXES:
        if name.endswith(s) and len(name) > len(s) + 1:
            return name[: -len(s)]
    return name


def district_short(name):
    return name[:-1] if name.endswith(("区", "县")) and len(name) > 2 else name


ROADS = ["交大东路", "学院路", "中关村大街", "建国路", "朝阳北路", "西直门外大街", "丰台路",
         "长安街", "光华路", "京顺路", "回龙观西大街", "北清路", "榆树庄路", "阜成路"]
COMPOUNDS = ["幸福家园", "阳光小区", "金色家园", "和平里小区", "育新花园", "望京花园西区",
             "北街家园", "丽泽雅园", "龙腾苑", "枫丹丽舍"]
LEADS = ["", "", "我住在", "我家在", "地址是", "就在", "位置：", "反映地点："]
TAILS = ["", "", "附近", "门口", "旁边的路口", "一带", "，路灯不亮", "，噪音扰民很严重"]


def house(rng):
    kind = rng.randrange(4)
    if kind == 0:
        return f"{rng.choice(ROADS)}{rng.randint(1, 300)}号"
    if kind == 1:
        return f"{rng.choice(COMPOUNDS)}{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元"
    if kind == 2:
        return f"{rng.choice(ROADS)}与{rng.choice(ROADS)}交叉口"
    return ""


def main():
    rng = random.Random(20261123)
    rows = list(csv.DictReader(open(SRC, encoding="utf-8")))
    by_short = {}
    for r in rows:
        by_short.setdefault(short(r["street_name"]), []).append(r)
    district_shorts = {district_short(r["district_name"]) for r in rows}
    out = []
    for r in rows:
        s, d = short(r["street_name"]), r["district_name"]
        twins = by_short[s]
        # Which forms of the street name to use, and whether the district is said.
        forms = [
            (f"北京市{d}{r['street_name']}", True),
            (f"{d}{s}", True),
            (f"{district_short(d)}{r['street_name']}", True),
            (f"{r['street_name']}", False),
        ]
        for text, with_district in rng.sample(forms, 2):
            if s in district_shorts and not with_district and text == s:
                continue  # a bare "海淀" means the district
            # Said without its district, a name is ambiguous when another district has a
            # street called the same (八里庄街道 in 朝阳 and in 海淀; 东风 for 东风地区 and
            # 东风街道, but not the full name 东风街道).
            same_name = [t for t in twins if t["street_name"] == r["street_name"]]
            ambiguous = not with_district and (
                len(same_name) > 1 or (text == s and len(twins) > 1))
            line = f"{rng.choice(LEADS)}{text}{house(rng)}{rng.choice(TAILS)}"
            out.append({
                "text": line,
                "district_code": "" if ambiguous else r["district_code"],
                "street_code": "" if ambiguous else r["street_code"],
                "ambiguous": "1" if ambiguous else "0",
            })
    # Street names shared by two districts, said without the district: ambiguous.
    for s, twins in sorted(by_short.items()):
        if len(twins) > 1:
            for _ in range(6):
                out.append({"text": f"{rng.choice(LEADS)}{s}{house(rng)}{rng.choice(TAILS)}",
                            "district_code": "", "street_code": "", "ambiguous": "1"})
    # District alone, short and full.
    for code, name in sorted({(r["district_code"], r["district_name"]) for r in rows}):
        for text in (name, district_short(name) + "这边"):
            out.append({"text": f"{rng.choice(LEADS)}{text}{house(rng)}", "district_code": code,
                        "street_code": "", "ambiguous": "0"})
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["text", "district_code", "street_code", "ambiguous"])
        w.writeheader()
        w.writerows(out)
    print(f"{len(out)} rows -> {OUT}")


if __name__ == "__main__":
    main()
