//! 承办单位: the handling units of a city.
//!
//! Four groups, in this order:
//!
//! - city bureaus, commissions and party or mass organisations ([`UnitKind::Bureau`]), with
//!   short mnemonic codes made of pinyin initials (`cgw` 城管委, `wjw` 卫健委). The table below
//!   is the one place they are defined; `tools/gen_catalog.py` must know the same codes;
//! - utilities ([`UnitKind::Utility`]): `water`, `gas`, `heat`, `power`;
//! - one government per district ([`UnitKind::District`]), coded by the 6-digit district code;
//! - one street office or township government per street ([`UnitKind::Street`]), coded by the
//!   9-digit street code.
//!
//! Names carry the configured city: `北京市城市管理委员会`, `石家庄市城市管理委员会`. A few
//! bodies are named differently in a municipality (直辖市) and in an ordinary city
//! (`北京市教育委员会` but `石家庄市教育局`); the table has both forms.

use crate::divisions::CitySel;
use jiesu_core::reference::{Division, DivisionLevel, Unit, UnitKind};
use std::collections::HashMap;

/// One bureau or utility: code, kind, name in a municipality, name in an ordinary city.
///
/// In the names `{c}` stands for the city's full name (`北京市`) and `{s}` for its short name
/// (`北京`).
struct Spec {
    code: &'static str,
    kind: UnitKind,
    municipal: &'static str,
    city: &'static str,
}

const fn bureau(code: &'static str, municipal: &'static str, city: &'static str) -> Spec {
    Spec {
        code,
        kind: UnitKind::Bureau,
        municipal,
        city,
    }
}

const fn utility(code: &'static str, municipal: &'static str, city: &'static str) -> Spec {
    Spec {
        code,
        kind: UnitKind::Utility,
        municipal,
        city,
    }
}

/// The city-level units every city gets.
const SPECS: &[Spec] = &[
    // Urban management, construction, planning.
    bureau("cgw", "{c}城市管理委员会", "{c}城市管理委员会"),
    bureau(
        "cgzfj",
        "{c}城市管理综合行政执法局",
        "{c}城市管理综合行政执法局",
    ),
    bureau("zjw", "{c}住房和城乡建设委员会", "{c}住房和城乡建设局"),
    bureau("gzw", "{c}规划和自然资源委员会", "{c}自然资源和规划局"),
    bureau("gjj", "{s}住房公积金管理中心", "{s}住房公积金管理中心"),
    bureau("swj", "{c}水务局", "{c}水务局"),
    bureau("ylj", "{c}园林绿化局", "{c}园林绿化局"),
    // Transport.
    bureau("jtw", "{c}交通委员会", "{c}交通运输局"),
    bureau("yzglj", "{c}邮政管理局", "{c}邮政管理局"),
    // Public security and justice.
    bureau("gaj", "{c}公安局", "{c}公安局"),
    bureau("jgj", "{c}公安局公安交通管理局", "{c}公安局交通管理局"),
    bureau("xfj", "{c}消防救援总队", "{c}消防救援支队"),
    bureau("sfj", "{c}司法局", "{c}司法局"),
    bureau("zfw", "中共{c}委政法委员会", "中共{c}委政法委员会"),
    // Health, markets, environment.
    bureau("wjw", "{c}卫生健康委员会", "{c}卫生健康委员会"),
    bureau("ybj", "{c}医疗保障局", "{c}医疗保障局"),
    bureau("scjgj", "{c}市场监督管理局", "{c}市场监督管理局"),
    bureau("sthjj", "{c}生态环境局", "{c}生态环境局"),
    // Education, culture, sport.
    bureau("jw", "{c}教育委员会", "{c}教育局"),
    bureau("tyj", "{c}体育局", "{c}体育局"),
    bureau("wlj", "{c}文化和旅游局", "{c}文化广电和旅游局"),
    bureau("gdj", "{c}广播电视局", "{c}广播电视局"),
    // Labour and civil affairs.
    bureau("rsj", "{c}人力资源和社会保障局", "{c}人力资源和社会保障局"),
    bureau("mzj", "{c}民政局", "{c}民政局"),
    bureau("tyjrj", "{c}退役军人事务局", "{c}退役军人事务局"),
    bureau("mzw", "{c}民族宗教事务委员会", "{c}民族宗教事务局"),
    // Agriculture, emergencies, nature.
    bureau("nyncj", "{c}农业农村局", "{c}农业农村局"),
    bureau("lsj", "{c}粮食和物资储备局", "{c}粮食和物资储备局"),
    bureau("yjj", "{c}应急管理局", "{c}应急管理局"),
    bureau("qxj", "{c}气象局", "{c}气象局"),
    bureau("dzj", "{c}地震局", "{c}地震局"),
    // Economy, finance, trade, technology.
    bureau("fgw", "{c}发展和改革委员会", "{c}发展和改革委员会"),
    bureau("jxj", "{c}经济和信息化局", "{c}工业和信息化局"),
    bureau("kjw", "{c}科学技术委员会", "{c}科学技术局"),
    bureau("zscqj", "{c}知识产权局", "{c}知识产权局"),
    bureau("czj", "{c}财政局", "{c}财政局"),
    bureau("tax", "国家税务总局{c}税务局", "国家税务总局{c}税务局"),
    bureau("jrj", "{c}地方金融管理局", "{c}地方金融管理局"),
    bureau(
        "gzjgw",
        "{c}人民政府国有资产监督管理委员会",
        "{c}人民政府国有资产监督管理委员会",
    ),
    bureau("swuj", "{c}商务局", "{c}商务局"),
    bureau("hg", "{s}海关", "{s}海关"),
    bureau("txglj", "{c}通信管理局", "{c}通信管理局"),
    // Party, discipline, government office, mass organisations.
    bureau(
        "jwjw",
        "中共{c}纪律检查委员会、{c}监察委员会",
        "中共{c}纪律检查委员会、{c}监察委员会",
    ),
    bureau("zzb", "中共{c}委组织部", "中共{c}委组织部"),
    bureau("xcb", "中共{c}委宣传部", "中共{c}委宣传部"),
    bureau("tzb", "中共{c}委统一战线工作部", "中共{c}委统一战线工作部"),
    bureau(
        "wxb",
        "中共{c}委网络安全和信息化委员会办公室",
        "中共{c}委网络安全和信息化委员会办公室",
    ),
    bureau("wsb", "{c}人民政府外事办公室", "{c}人民政府外事办公室"),
    bureau("zfbgt", "{c}人民政府办公厅", "{c}人民政府办公室"),
    bureau("zgh", "{c}总工会", "{c}总工会"),
    bureau("tsw", "共青团{c}委员会", "共青团{c}委员会"),
    bureau("fl", "{c}妇女联合会", "{c}妇女联合会"),
    // Utilities.
    utility(
        "water",
        "{c}自来水集团有限责任公司",
        "{c}自来水集团有限责任公司",
    ),
    utility("gas", "{c}燃气集团有限责任公司", "{c}燃气集团有限责任公司"),
    utility("heat", "{c}热力集团有限责任公司", "{c}热力集团有限责任公司"),
    utility("power", "国网{c}电力公司", "国网{s}供电公司"),
];

/// Name of a district-level government.
///
/// 区 → `北京市朝阳区人民政府`; 县, county-level 市, 旗 → `行唐县人民政府`; development
/// zones (NBS codes with 7 as fifth digit) → `石家庄高新技术产业开发区管理委员会`.
fn district_unit_name(city: &CitySel, district: &Division) -> String {
    let name = &district.name;
    if name.ends_with("委员会") || name.ends_with("管委会") {
        name.clone()
    } else if district.code.as_bytes().get(4) == Some(&b'7') {
        format!("{name}管理委员会")
    } else if name.ends_with('区') {
        format!("{}{name}人民政府", city.name)
    } else {
        format!("{name}人民政府")
    }
}

/// Name of a street-level unit: `北下关街道办事处`, `南磨房地区办事处`, `长阳镇人民政府`,
/// `南高乡人民政府`, `中关村科技园区密云园管理委员会`; anything else (a farm, an airport) is its
/// own unit and keeps its name.
fn street_unit_name(street: &Division) -> String {
    let name = &street.name;
    if ["办事处", "委员会", "管委会", "办公室"]
        .iter()
        .any(|s| name.ends_with(s))
    {
        name.clone()
    } else if name.ends_with("街道") || name.ends_with("地区") {
        format!("{name}办事处")
    } else if name.ends_with('镇') || name.ends_with('乡') || name.ends_with("苏木") {
        format!("{name}人民政府")
    } else if name.ends_with('区') || name.ends_with('园') || name.ends_with("基地") {
        format!("{name}管理委员会")
    } else {
        name.clone()
    }
}

/// Codes of the city-level bureaus and utilities, in table order.
pub fn city_unit_codes() -> impl Iterator<Item = &'static str> {
    SPECS.iter().map(|s| s.code)
}

/// All units of the city: bureaus, utilities, district governments, street offices.
///
/// Two streets of one city may share a name (Beijing has a 八里庄街道 in both 朝阳区 and 海淀区);
/// their units are then prefixed with the district name (`朝阳区八里庄街道办事处`) so that unit
/// names stay unique.
pub(crate) fn build(city: &CitySel, divisions: &[Division]) -> Vec<Unit> {
    let mut units: Vec<Unit> = SPECS
        .iter()
        .map(|spec| {
            let template = if city.municipality {
                spec.municipal
            } else {
                spec.city
            };
            Unit {
                code: spec.code.to_owned(),
                name: template
                    .replace("{c}", &city.name)
                    .replace("{s}", &city.short_name),
                kind: spec.kind,
                district_code: None,
            }
        })
        .collect();

    let district_names: HashMap<&str, &str> = divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::District)
        .map(|d| (d.code.as_str(), d.name.as_str()))
        .collect();
    units.extend(
        divisions
            .iter()
            .filter(|d| d.level == DivisionLevel::District)
            .map(|d| Unit {
                code: d.code.clone(),
                name: district_unit_name(city, d),
                kind: UnitKind::District,
                district_code: Some(d.code.clone()),
            }),
    );

    let streets: Vec<(&Division, String)> = divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::Street)
        .map(|d| (d, street_unit_name(d)))
        .collect();
    let mut name_count: HashMap<&str, usize> = HashMap::new();
    for (_, name) in &streets {
        *name_count.entry(name.as_str()).or_default() += 1;
    }
    units.extend(streets.iter().map(|(street, name)| {
        let district = street.parent_code.clone();
        let name = match district.as_deref().and_then(|d| district_names.get(d)) {
            Some(district_name) if name_count[name.as_str()] > 1 => {
                format!("{district_name}{name}")
            }
            _ => name.clone(),
        };
        Unit {
            code: street.code.clone(),
            name,
            kind: UnitKind::Street,
            district_code: district,
        }
    }));
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::divisions::{load, resolve};
    use std::collections::HashSet;

    fn units_of(city: &str) -> Vec<Unit> {
        let sel = resolve(city).unwrap();
        build(&sel, &load(&sel).unwrap())
    }

    fn named<'a>(units: &'a [Unit], code: &str) -> &'a str {
        &units.iter().find(|u| u.code == code).unwrap().name
    }

    #[test]
    fn city_unit_codes_are_unique_lowercase_mnemonics() {
        let codes: Vec<&str> = city_unit_codes().collect();
        let unique: HashSet<&str> = codes.iter().copied().collect();
        assert_eq!(unique.len(), codes.len());
        assert!(
            codes
                .iter()
                .all(|c| c.bytes().all(|b| b.is_ascii_lowercase()))
        );
    }

    #[test]
    fn beijing_units_carry_the_city_and_division_names() {
        let units = units_of("北京");
        assert_eq!(units.len(), SPECS.len() + 16 + 349);
        assert_eq!(named(&units, "cgw"), "北京市城市管理委员会");
        assert_eq!(named(&units, "wjw"), "北京市卫生健康委员会");
        assert_eq!(named(&units, "jw"), "北京市教育委员会");
        assert_eq!(named(&units, "tax"), "国家税务总局北京市税务局");
        assert_eq!(named(&units, "gjj"), "北京住房公积金管理中心");
        assert_eq!(named(&units, "power"), "国网北京市电力公司");
        assert_eq!(named(&units, "heat"), "北京市热力集团有限责任公司");
        assert_eq!(named(&units, "110105"), "北京市朝阳区人民政府");
        assert_eq!(named(&units, "110108007"), "北下关街道办事处");

        let street = units.iter().find(|u| u.code == "110108007").unwrap();
        assert_eq!(street.kind, UnitKind::Street);
        assert_eq!(street.district_code.as_deref(), Some("110108"));
        let district = units.iter().find(|u| u.code == "110108").unwrap();
        assert_eq!(district.kind, UnitKind::District);
        assert_eq!(district.district_code.as_deref(), Some("110108"));
        assert_eq!(
            units.iter().find(|u| u.code == "gas").unwrap().kind,
            UnitKind::Utility
        );
    }

    #[test]
    fn towns_townships_and_areas_get_their_own_suffixes() {
        let units = units_of("北京");
        let by_name = |name: &str| units.iter().any(|u| u.name == name);
        assert!(by_name("南磨房地区办事处"));
        assert!(by_name("长阳镇人民政府"));
        assert!(by_name("北京经济技术开发区管理委员会"));
        assert!(units.iter().any(|u| u.name.ends_with("乡人民政府")));
        // The two 八里庄街道 are told apart by their districts.
        assert!(by_name("朝阳区八里庄街道办事处"));
        assert!(by_name("海淀区八里庄街道办事处"));
        assert!(!by_name("八里庄街道办事处"));
    }

    #[test]
    fn unit_codes_and_names_are_unique() {
        for city in ["北京", "石家庄", "重庆", "上海"] {
            let units = units_of(city);
            let codes: HashSet<&str> = units.iter().map(|u| u.code.as_str()).collect();
            let names: HashSet<&str> = units.iter().map(|u| u.name.as_str()).collect();
            assert_eq!(codes.len(), units.len(), "{city}");
            assert_eq!(names.len(), units.len(), "{city}");
        }
    }

    #[test]
    fn an_ordinary_city_uses_city_forms_of_the_names() {
        let units = units_of("石家庄");
        assert_eq!(named(&units, "cgw"), "石家庄市城市管理委员会");
        assert_eq!(named(&units, "jw"), "石家庄市教育局");
        assert_eq!(named(&units, "xfj"), "石家庄市消防救援支队");
        assert_eq!(named(&units, "power"), "国网石家庄供电公司");
        assert_eq!(named(&units, "130102"), "石家庄市长安区人民政府");
        assert_eq!(named(&units, "130125"), "行唐县人民政府");
        assert_eq!(named(&units, "130183"), "晋州市人民政府");
        assert_eq!(
            named(&units, "130171"),
            "石家庄高新技术产业开发区管理委员会"
        );
    }
}
