#!/usr/bin/env python3
"""Generate data/catalog.csv from the TipDM 2020 problem C catalog (attachment 1).

Run from anywhere:  python3 crates/jiesu-reference/tools/gen_catalog.py

Input:  data/teddy2020c/category_catalog_3level.csv  (level1,level2,level3; 517 leaves)
Output: data/catalog.csv                              (code,level1,level2,level3,default_unit)

Codes are two digits per level, given in file order: the first level1 is `01`, its first
level2 `0101`, that node's first leaf `010101`. The input lists every level1 and every
(level1, level2) pair as one contiguous block, so file order gives a stable tree; the script
fails if that ever stops being true.

Each leaf gets a default lead unit (主办单位), a unit code from `src/units.rs`. The choice is
made by the most specific rule that matches:

1. LEAF_RULES: (level1, level2) -> list of (keyword, unit); the first keyword contained in the
   leaf name wins.
2. LEVEL2: (level1, level2) -> unit.
3. LEVEL1: level1 -> unit.

Keep UNIT_CODES in step with the bureau and utility codes in `src/units.rs`; the Rust tests
check that every default unit exists.
"""

import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
SOURCE = os.path.join(DATA, "teddy2020c", "category_catalog_3level.csv")
TARGET = os.path.join(DATA, "catalog.csv")

# Bureau and utility codes defined in src/units.rs.
UNIT_CODES = {
    "cgw", "cgzfj", "zjw", "gzw", "swj", "ylj", "jtw", "yzglj", "gaj", "jgj", "xfj", "sfj",
    "zfw", "wjw", "ybj", "scjgj", "sthjj", "jw", "tyj", "wlj", "gdj", "rsj", "gjj", "mzj",
    "tyjrj", "mzw", "nyncj", "lsj", "yjj", "qxj", "dzj", "fgw", "jxj", "kjw", "zscqj", "czj",
    "tax", "jrj", "gzjgw", "swuj", "hg", "txglj", "jwjw", "zzb", "xcb", "tzb", "wxb", "wsb",
    "zgh", "tsw", "fl", "zfbgt",
    "water", "gas", "heat", "power",
}

LEVEL1 = {
    "城乡建设": "zjw",
    "党务政务": "zfbgt",
    "国土资源": "gzw",
    "环境保护": "sthjj",
    "纪检监察": "jwjw",
    "交通运输": "jtw",
    "经济管理": "fgw",
    "科技与信息产业": "kjw",
    "民政": "mzj",
    "农村农业": "nyncj",
    "商贸旅游": "swuj",
    "卫生计生": "wjw",
    "政法": "sfj",
    "教育文体": "jw",
    "劳动和社会保障": "rsj",
}

LEVEL2 = {
    # 城乡建设
    ("城乡建设", "安全生产"): "yjj",
    ("城乡建设", "城市建设和市政管理"): "cgw",
    ("城乡建设", "城乡规划"): "gzw",
    ("城乡建设", "村镇建设"): "zjw",
    ("城乡建设", "工程质量"): "zjw",
    ("城乡建设", "国有土地上房屋征收与补偿"): "zjw",
    ("城乡建设", "集体土地上房屋拆迁与补偿"): "gzw",
    ("城乡建设", "建筑市场"): "zjw",
    ("城乡建设", "其他"): "zjw",
    ("城乡建设", "住房保障与房地产"): "zjw",
    # 党务政务
    ("党务政务", "党的建设"): "zzb",
    ("党务政务", "港澳台侨"): "tzb",
    ("党务政务", "国防外交"): "wsb",
    ("党务政务", "民族宗教"): "mzw",
    ("党务政务", "其他"): "zfbgt",
    ("党务政务", "群众团体"): "zgh",
    ("党务政务", "宣传舆论"): "xcb",
    ("党务政务", "政治体制"): "zfbgt",
    # 国土资源
    ("国土资源", "海洋气象地震"): "qxj",
    ("国土资源", "矿产资源管理"): "gzw",
    ("国土资源", "其他"): "gzw",
    ("国土资源", "土地征收"): "gzw",
    ("国土资源", "土地资源管理"): "gzw",
    # 环境保护: everything to 生态环境局 (level1 default)
    # 纪检监察: everything to 纪委监委 (level1 default)
    # 交通运输
    ("交通运输", "邮政管理"): "yzglj",
    # 经济管理
    ("经济管理", "安全生产"): "yjj",
    ("经济管理", "保险证券期货"): "jrj",
    ("经济管理", "国资监管"): "gzjgw",
    ("经济管理", "宏观调控"): "fgw",
    ("经济管理", "金融财税"): "jrj",
    ("经济管理", "能源管理"): "fgw",
    ("经济管理", "其他"): "fgw",
    ("经济管理", "企业破产"): "gzjgw",
    # 科技与信息产业
    ("科技与信息产业", "电信"): "txglj",
    ("科技与信息产业", "科学技术"): "kjw",
    ("科技与信息产业", "其他"): "kjw",
    ("科技与信息产业", "信息化建设"): "jxj",
    ("科技与信息产业", "知识产权"): "zscqj",
    # 民政
    ("民政", "复退安置"): "tyjrj",
    ("民政", "优抚"): "tyjrj",
    # 农村农业
    ("农村农业", "草原草场"): "ylj",
    ("农村农业", "林业管理"): "ylj",
    ("农村农业", "水库移民"): "swj",
    ("农村农业", "水利水电"): "swj",
    ("农村农业", "野生资源管理"): "ylj",
    # 商贸旅游
    ("商贸旅游", "旅游管理"): "wlj",
    ("商贸旅游", "其他"): "swuj",
    ("商贸旅游", "商业贸易"): "swuj",
    ("商贸旅游", "市场监管"): "scjgj",
    ("商贸旅游", "质监检验检疫"): "scjgj",
    # 卫生计生
    ("卫生计生", "食品药品监管"): "scjgj",
    # 政法
    ("政法", "法律服务"): "sfj",
    ("政法", "法制建设"): "sfj",
    ("政法", "行政复议"): "sfj",
    ("政法", "户籍证件"): "gaj",
    ("政法", "交通管理"): "jgj",
    ("政法", "警务督察"): "gaj",
    ("政法", "其他"): "zfw",
    ("政法", "社会治安"): "gaj",
    ("政法", "诉讼"): "zfw",
    ("政法", "刑案侦破"): "gaj",
    ("政法", "刑罚执行"): "sfj",
    ("政法", "仲裁与调解"): "sfj",
    # 教育文体
    ("教育文体", "体育"): "tyj",
    ("教育文体", "文化"): "wlj",
    ("教育文体", "文物管理"): "wlj",
}

# Leaf keyword rules: first keyword contained in the leaf name wins.
LEAF_RULES = {
    ("城乡建设", "城市建设和市政管理"): [
        ("城管执法", "cgzfj"),
        ("公共汽车", "jtw"),
        ("地铁", "jtw"),
        ("公园", "ylj"),
        ("园林绿化环卫", "cgw"),  # mixed: 环卫 is 城管委's, checked before 园林绿化
        ("园林绿化", "ylj"),
        ("采暖", "heat"),
        ("供热", "heat"),
        ("燃气", "gas"),
        ("电力", "power"),
        ("自来水", "water"),
        ("供水", "water"),
        ("小区管理", "zjw"),
    ],
    ("城乡建设", "城乡规划"): [("违章建筑", "cgzfj")],
    ("城乡建设", "村镇建设"): [("新农村", "nyncj")],
    ("城乡建设", "集体土地上房屋拆迁与补偿"): [("回迁房", "zjw")],
    ("城乡建设", "住房保障与房地产"): [
        ("公积金", "gjj"),
        ("房产证", "gzw"),  # 不动产登记 sits with 规划和自然资源
    ],
    ("党务政务", "党的建设"): [("作风", "jwjw"), ("廉政", "jwjw")],
    ("党务政务", "港澳台侨"): [("港澳", "wsb")],
    ("党务政务", "国防外交"): [("军事国防", "tyjrj")],
    ("党务政务", "群众团体"): [("共青团", "tsw"), ("妇联", "fl")],
    ("党务政务", "宣传舆论"): [("互联网", "wxb"), ("广播影视", "gdj")],
    ("党务政务", "政治体制"): [("统战", "tzb"), ("政协", "tzb")],
    ("国土资源", "海洋气象地震"): [("地震", "dzj"), ("海洋", "gzw")],
    ("国土资源", "土地征收"): [("失地农民", "rsj")],
    ("经济管理", "金融财税"): [("税收", "tax"), ("财政", "czj"), ("其他", "czj")],
    ("科技与信息产业", "信息化建设"): [("互联网", "txglj")],
    ("民政", "救灾募捐"): [("救灾", "yjj")],
    ("农村农业", "林业管理"): [("水土流失", "swj")],
    ("农村农业", "农副产品流通"): [("价格质量", "scjgj"), ("粮食", "lsj"), ("运输购销", "swuj")],
    ("商贸旅游", "商业贸易"): [("劳务输出", "rsj"), ("垄断", "scjgj")],
    ("商贸旅游", "质监检验检疫"): [("出入境", "hg")],
    ("卫生计生", "医政监管"): [("医疗收费", "ybj")],
    ("政法", "社会治安"): [("消防", "xfj")],
    ("政法", "仲裁与调解"): [("劳动仲裁", "rsj"), ("人事仲裁", "rsj"), ("法律文书执行", "zfw")],
    ("政法", "法制建设"): [("司法改革", "zfw")],
    ("劳动和社会保障", "城镇居民社会保险"): [("医疗", "ybj")],
    ("劳动和社会保障", "城镇职工社会保险"): [("医疗", "ybj"), ("生育", "ybj")],
    ("劳动和社会保障", "工资福利"): [("公积金", "gjj")],
}


def default_unit(l1, l2, l3):
    for keyword, unit in LEAF_RULES.get((l1, l2), []):
        if keyword in l3:
            return unit
    if (l1, l2) in LEVEL2:
        return LEVEL2[(l1, l2)]
    return LEVEL1[l1]


def main():
    with open(SOURCE, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))

    out = []
    l1_codes, l2_codes, l3_count = {}, {}, {}
    prev1 = prev2 = None
    for row in rows:
        l1, l2, l3 = row["level1"].strip(), row["level2"].strip(), row["level3"].strip()
        if l1 != prev1:
            if l1 in l1_codes:
                sys.exit(f"level1 {l1} is not contiguous")
            l1_codes[l1] = f"{len(l1_codes) + 1:02d}"
            prev1, prev2 = l1, None
        if (l1, l2) != prev2:
            if (l1, l2) in l2_codes:
                sys.exit(f"level2 {l1}/{l2} is not contiguous")
            n = sum(1 for k in l2_codes if k[0] == l1) + 1
            l2_codes[(l1, l2)] = f"{l1_codes[l1]}{n:02d}"
            prev2 = (l1, l2)
        n = l3_count.get((l1, l2), 0) + 1
        l3_count[(l1, l2)] = n
        if n > 99:
            sys.exit(f"more than 99 leaves under {l1}/{l2}")
        unit = default_unit(l1, l2, l3)
        if unit not in UNIT_CODES:
            sys.exit(f"unknown unit {unit} for {l1}/{l2}/{l3}")
        out.append((f"{l2_codes[(l1, l2)]}{n:02d}", l1, l2, l3, unit))

    unused = [k for k in LEVEL2 if k not in l2_codes] + [k for k in LEAF_RULES if k not in l2_codes]
    if unused:
        sys.exit(f"rules for unknown level2 nodes: {unused}")

    with open(TARGET, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "level1", "level2", "level3", "default_unit"])
        w.writerows(out)
    print(f"{len(l1_codes)} level1, {len(l2_codes)} level2, {len(out)} leaves -> {TARGET}")


if __name__ == "__main__":
    main()
