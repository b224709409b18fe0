//! jiesu-reference: the reference data shipped inside the binary — a city's districts, streets
//! and handling units, and the three-level dispatch catalog.
//!
//! Everything is embedded with `include_str!`; nothing is read from disk at run time. The
//! origin of every file under `data/` is in `data/PROVENANCE.md` and, in one line, in
//! [`PROVENANCE`].
//!
//! ```
//! let beijing = jiesu_reference::beijing();
//! assert_eq!(beijing.city_name, "北京市");
//! assert_eq!(beijing.unit("cgw").unwrap().name, "北京市城市管理委员会");
//!
//! let sjz = jiesu_reference::city("石家庄").unwrap();
//! assert_eq!(sjz.city_code, "1301");
//! ```
#![deny(missing_docs)]

mod catalog;
mod divisions;
mod units;

use jiesu_core::MemoryDirectory;
use jiesu_core::reference::{CatalogNode, Division, DivisionLevel, Unit};
use serde::Serialize;

pub use divisions::DEFAULT_CITY;
pub use units::city_unit_codes;

/// Where the shipped data comes from, in one line.
pub const PROVENANCE: &str = "行政区划: 国家统计局2023年统计用区划代码, via modood/Administrative-divisions-of-China (WTFPL); \
派单目录: 2020年第八届泰迪杯数据挖掘挑战赛C题“智慧政务中的文本挖掘应用”附件1 (15/118/517类), 编码与默认主办单位由jiesu补充; \
承办单位: jiesu编制的示例清单 (委办局、公用企业、区政府、街道乡镇)";

/// Why reference data could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// No city has this code or name.
    #[error(
        "unknown city {0:?}: give a 4-digit city code such as 1101 or a name such as 北京 or 石家庄市"
    )]
    UnknownCity(String),
    /// The code names a province or a group of province-administered counties, not a city.
    #[error("not a city: {0}")]
    NotACity(String),
    /// An embedded data file does not parse; a bug in this crate.
    #[error("embedded reference data is corrupt: {0}")]
    Corrupt(String),
}

/// The reference data of one city.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CityData {
    /// 4-digit NBS city code, `1101` for Beijing. Chongqing, whose tables split it into
    /// 5001 (districts) and 5002 (counties), is `5001` and holds both.
    pub city_code: String,
    /// Full city name, `北京市` or `石家庄市`.
    pub city_name: String,
    /// The districts (in code order) followed by the streets, towns and townships.
    pub divisions: Vec<Division>,
    /// Bureaus, utilities, district governments and street offices.
    pub units: Vec<Unit>,
    /// The dispatch catalog; the same for every city.
    pub catalog: Vec<CatalogNode>,
}

impl CityData {
    /// The division (district or street) with this code.
    pub fn division(&self, code: &str) -> Option<&Division> {
        self.divisions.iter().find(|d| d.code == code)
    }

    /// The unit with this code.
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code == code)
    }

    /// The districts, in code order.
    pub fn districts(&self) -> impl Iterator<Item = &Division> {
        self.divisions
            .iter()
            .filter(|d| d.level == DivisionLevel::District)
    }

    /// The streets, towns and townships of one district.
    pub fn streets_of<'a>(&'a self, district_code: &'a str) -> impl Iterator<Item = &'a Division> {
        self.divisions
            .iter()
            .filter(move |d| d.parent_code.as_deref() == Some(district_code))
    }

    /// An in-memory [`MemoryDirectory`] over this data, for the core's look-ups.
    pub fn directory(&self) -> MemoryDirectory {
        MemoryDirectory::new(
            self.units.iter().cloned(),
            self.catalog.iter().cloned(),
            self.divisions.iter().cloned(),
        )
    }
}

/// Loads the city named by code (`"1101"`) or name (`"北京"`, `"北京市"`, `"石家庄"`).
///
/// An empty string means the default city, Beijing ([`DEFAULT_CITY`]). For the municipalities
/// 北京, 天津, 上海 and 重庆 the province name or code (`"11"`) also works.
///
/// # Errors
///
/// [`ReferenceError::UnknownCity`] when no city has that code or name,
/// [`ReferenceError::NotACity`] for a province or a group of province-administered counties
/// (`"4190"`).
pub fn city(code_or_name: &str) -> Result<CityData, ReferenceError> {
    let sel = divisions::resolve(code_or_name)?;
    let divisions = divisions::load(&sel)?;
    let units = units::build(&sel, &divisions);
    Ok(CityData {
        city_code: sel.code,
        city_name: sel.name,
        divisions,
        units,
        catalog: catalog::load()?,
    })
}

/// Beijing's reference data.
pub fn beijing() -> CityData {
    city(DEFAULT_CITY).expect("the embedded Beijing data loads (checked by the tests)")
}

/// The dispatch catalog: 15 + 118 + 517 nodes in tree order, levels 1 to 3; every leaf carries
/// its default lead unit.
pub fn catalog() -> Vec<CatalogNode> {
    catalog::load().expect("the embedded catalog loads (checked by the tests)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiesu_core::Directory;
    use jiesu_core::reference::UnitKind;
    use std::collections::HashSet;

    fn assert_consistent(data: &CityData) {
        let districts: HashSet<&str> = data.districts().map(|d| d.code.as_str()).collect();
        assert!(!districts.is_empty());
        for division in &data.divisions {
            match division.level {
                DivisionLevel::District => {
                    assert_eq!(division.parent_code, None);
                    assert_eq!(division.code.len(), 6);
                    assert!(division.code.starts_with(&data.city_code[..2]));
                }
                DivisionLevel::Street => {
                    let parent = division.parent_code.as_deref().unwrap();
                    assert!(districts.contains(parent), "{}", division.code);
                    assert_eq!(division.code.len(), 9);
                    assert!(division.code.starts_with(parent));
                }
            }
        }

        let codes: HashSet<&str> = data.units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes.len(), data.units.len(), "unit codes are unique");
        for leaf in data.catalog.iter().filter(|n| n.level == 3) {
            let unit = leaf.default_unit.as_deref().unwrap();
            assert!(codes.contains(unit), "{} -> {unit}", leaf.code);
        }

        // One district government per district, one street unit per street, in the district.
        for division in &data.divisions {
            let unit = data.unit(&division.code).unwrap();
            let (kind, district) = match division.level {
                DivisionLevel::District => (UnitKind::District, Some(division.code.as_str())),
                DivisionLevel::Street => (UnitKind::Street, division.parent_code.as_deref()),
            };
            assert_eq!(unit.kind, kind);
            assert_eq!(unit.district_code.as_deref(), district);
        }
        let bureaus = data
            .units
            .iter()
            .filter(|u| matches!(u.kind, UnitKind::Bureau | UnitKind::Utility))
            .count();
        assert_eq!(data.units.len(), bureaus + data.divisions.len());
        for unit in data.units.iter().filter(|u| u.kind == UnitKind::Bureau) {
            let short = data.city_name.trim_end_matches('市');
            assert!(unit.name.contains(short), "{}", unit.name);
        }
    }

    #[test]
    fn beijing_is_the_default_and_is_consistent() {
        let data = beijing();
        assert_eq!(data.city_code, "1101");
        assert_eq!(data.city_name, "北京市");
        assert_eq!(data.districts().count(), 16);
        assert_eq!(data.divisions.len(), 16 + 349);
        assert_eq!(data.units.len(), city_unit_codes().count() + 16 + 349);
        assert_eq!(data.catalog.len(), 650);
        assert_eq!(data.division("110108").unwrap().name, "海淀区");
        assert_eq!(data.streets_of("110108").count(), 29);
        assert!(data.streets_of("110108").any(|s| s.name == "北下关街道"));
        assert_consistent(&data);
        assert_eq!(city("").unwrap(), data);
        assert_eq!(city("北京市").unwrap(), data);
    }

    #[test]
    fn shijiazhuang_has_its_districts_and_street_offices() {
        let data = city("石家庄").unwrap();
        assert_eq!(data.city_code, "1301");
        assert_eq!(data.city_name, "石家庄市");
        assert_eq!(data.districts().count(), 24);
        assert!(data.districts().all(|d| d.code.starts_with("1301")));
        assert_eq!(data.divisions.len(), 24 + 280);
        assert_eq!(data.unit("cgw").unwrap().name, "石家庄市城市管理委员会");
        let chang_an = data.unit("130102").unwrap();
        assert_eq!(chang_an.name, "石家庄市长安区人民政府");
        let offices: Vec<&Unit> = data
            .units
            .iter()
            .filter(|u| u.kind == UnitKind::Street && u.district_code.as_deref() == Some("130102"))
            .collect();
        assert!(!offices.is_empty());
        assert!(
            offices
                .iter()
                .all(|u| u.name.ends_with("办事处") || u.name.ends_with("人民政府"))
        );
        assert_consistent(&data);
    }

    #[test]
    fn other_cities_load_without_panicking() {
        for name in [
            "天津",
            "上海市",
            "重庆",
            "5002",
            "锡林郭勒盟",
            "三沙市",
            "儋州市",
            "2202",
        ] {
            let data = city(name).unwrap();
            assert_consistent(&data);
        }
        let chongqing = city("重庆").unwrap();
        assert_eq!(chongqing.city_code, "5001");
        assert!(
            chongqing.division("500229").is_some(),
            "城口县 (5002) is included"
        );
    }

    #[test]
    fn unknown_city_is_an_error() {
        assert_eq!(
            city("火星"),
            Err(ReferenceError::UnknownCity("火星".to_owned()))
        );
        assert!(matches!(city("0000"), Err(ReferenceError::UnknownCity(_))));
        assert!(matches!(city("4290"), Err(ReferenceError::NotACity(_))));
        let message = city("火星").unwrap_err().to_string();
        assert!(message.contains("火星"), "{message}");
    }

    #[test]
    fn catalog_is_the_shipped_one() {
        let nodes = catalog();
        assert_eq!(nodes.len(), 15 + 118 + 517);
        assert_eq!(nodes, beijing().catalog);
    }

    #[test]
    fn the_directory_finds_units_catalog_nodes_and_divisions() {
        let data = beijing();
        let directory = data.directory();
        assert_eq!(directory.counts(), (data.units.len(), 650, 365));
        assert_eq!(directory.unit("swj").unwrap().name, "北京市水务局");
        assert_eq!(
            directory.catalog("0102").unwrap().name,
            "城市建设和市政管理"
        );
        assert_eq!(directory.district_of("110108007").unwrap().name, "海淀区");
    }

    #[test]
    fn provenance_is_one_line() {
        assert!(!PROVENANCE.contains('\n'));
        assert!(PROVENANCE.contains("WTFPL"));
        assert!(PROVENANCE.contains("泰迪杯"));
    }
}
