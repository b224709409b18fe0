//! 行政区划: finding a city in the national division tables and reading its districts and
//! streets.
//!
//! The tables are the 2023 codes of the National Bureau of Statistics as published by
//! modood/Administrative-divisions-of-China, embedded unchanged. The 1.6 MB streets table is
//! read once per call, and only the rows of the wanted city are decoded.

use crate::ReferenceError;
use jiesu_core::reference::{Division, DivisionLevel};
use serde::Deserialize;

const PROVINCES: &str = include_str!("../data/divisions/provinces.csv");
const CITIES: &str = include_str!("../data/divisions/cities.csv");
const AREAS: &str = include_str!("../data/divisions/areas.csv");
const STREETS: &str = include_str!("../data/divisions/streets.csv");

/// City code of the default city, Beijing.
pub const DEFAULT_CITY: &str = "1101";

/// Names `cities.csv` gives to rows that are not a city of their own.
const PLACEHOLDER_CITY_NAMES: [&str; 3] = ["市辖区", "县", "省直辖县级行政区划"];

/// Rows of `cities.csv` whose counties belong directly to the province.
const PROVINCE_ADMINISTERED: &str = "省直辖县级行政区划";

#[derive(Debug, Deserialize)]
struct ProvinceRow {
    code: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct CityRow {
    code: String,
    name: String,
    #[serde(rename = "provinceCode")]
    province_code: String,
}

#[derive(Debug, Deserialize)]
struct AreaRow {
    code: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct StreetRow {
    code: String,
    name: String,
    #[serde(rename = "areaCode")]
    area_code: String,
}

/// A city resolved from a code or a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CitySel {
    /// Canonical 4-digit city code (the first one for a municipality).
    pub code: String,
    /// Every 4-digit code of `cities.csv` that makes up the city: one for an ordinary city,
    /// all of the province's for a municipality (重庆: 5001 and 5002).
    pub codes: Vec<String>,
    /// Full name with its suffix: `北京市`, `石家庄市`, `锡林郭勒盟`.
    pub name: String,
    /// Name without a trailing `市`: `北京`, `石家庄`, `锡林郭勒盟`.
    pub short_name: String,
    /// 直辖市: Beijing, Tianjin, Shanghai, Chongqing.
    pub municipality: bool,
}

fn read_all<T: serde::de::DeserializeOwned>(data: &str) -> Result<Vec<T>, ReferenceError> {
    csv::Reader::from_reader(data.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(corrupt)
}

fn corrupt(e: csv::Error) -> ReferenceError {
    ReferenceError::Corrupt(e.to_string())
}

fn short_name(name: &str) -> String {
    name.strip_suffix('市').unwrap_or(name).to_owned()
}

/// A province is a municipality (直辖市) when it is itself called a city.
fn is_municipality(province: &ProvinceRow) -> bool {
    province.name.ends_with('市')
}

/// Finds the city named by `code_or_name`; an empty string means [`DEFAULT_CITY`].
pub(crate) fn resolve(code_or_name: &str) -> Result<CitySel, ReferenceError> {
    let wanted = code_or_name.trim();
    let wanted = if wanted.is_empty() {
        DEFAULT_CITY
    } else {
        wanted
    };
    let unknown = || ReferenceError::UnknownCity(code_or_name.to_owned());

    let provinces: Vec<ProvinceRow> = read_all(PROVINCES)?;
    let cities: Vec<CityRow> = read_all(CITIES)?;

    let municipality = |province: &ProvinceRow| {
        let codes: Vec<String> = cities
            .iter()
            .filter(|c| c.province_code == province.code)
            .map(|c| c.code.clone())
            .collect();
        CitySel {
            code: codes.first().cloned().unwrap_or_default(),
            codes,
            name: province.name.clone(),
            short_name: short_name(&province.name),
            municipality: true,
        }
    };
    let province_of = |code: &str| provinces.iter().find(|p| p.code == code);

    if wanted.bytes().all(|b| b.is_ascii_digit()) {
        return match wanted.len() {
            2 => {
                let province = province_of(wanted).ok_or_else(unknown)?;
                if is_municipality(province) {
                    Ok(municipality(province))
                } else {
                    Err(ReferenceError::NotACity(format!(
                        "{wanted} is the province {}",
                        province.name
                    )))
                }
            }
            4 => {
                let city = cities
                    .iter()
                    .find(|c| c.code == wanted)
                    .ok_or_else(unknown)?;
                let province = province_of(&city.province_code).ok_or_else(unknown)?;
                if is_municipality(province) {
                    Ok(municipality(province))
                } else if city.name == PROVINCE_ADMINISTERED {
                    Err(ReferenceError::NotACity(format!(
                        "{wanted} is the {PROVINCE_ADMINISTERED} of {}",
                        province.name
                    )))
                } else {
                    Ok(CitySel {
                        code: city.code.clone(),
                        codes: vec![city.code.clone()],
                        name: city.name.clone(),
                        short_name: short_name(&city.name),
                        municipality: false,
                    })
                }
            }
            _ => Err(unknown()),
        };
    }

    let matches = |name: &str| name == wanted || short_name(name) == wanted;
    if let Some(province) = provinces
        .iter()
        .find(|p| is_municipality(p) && matches(&p.name))
    {
        return Ok(municipality(province));
    }
    // City names are unique in the 2023 tables once the placeholders are set aside (a test
    // checks this), so the first match is the only one.
    cities
        .iter()
        .find(|c| !PLACEHOLDER_CITY_NAMES.contains(&c.name.as_str()) && matches(&c.name))
        .map(|city| CitySel {
            code: city.code.clone(),
            codes: vec![city.code.clone()],
            name: city.name.clone(),
            short_name: short_name(&city.name),
            municipality: false,
        })
        .ok_or_else(unknown)
}

/// Calls `f` with every row of `data` whose `filter_column` holds one of `codes`, decoding
/// only those rows.
fn for_each_row_of_city<T: serde::de::DeserializeOwned>(
    data: &str,
    filter_column: &str,
    codes: &[String],
    mut f: impl FnMut(T),
) -> Result<(), ReferenceError> {
    let mut reader = csv::Reader::from_reader(data.as_bytes());
    let headers = reader.byte_headers().map_err(corrupt)?.clone();
    let column = headers
        .iter()
        .position(|h| h == filter_column.as_bytes())
        .ok_or_else(|| ReferenceError::Corrupt(format!("no column {filter_column}")))?;
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(corrupt)? {
        let Some(value) = record.get(column) else {
            continue;
        };
        if codes.iter().any(|c| c.as_bytes() == value) {
            f(record.deserialize(Some(&headers)).map_err(corrupt)?);
        }
    }
    Ok(())
}

/// The districts of the city followed by its streets, each group in code order.
pub(crate) fn load(city: &CitySel) -> Result<Vec<Division>, ReferenceError> {
    let mut divisions = Vec::new();
    for_each_row_of_city(AREAS, "cityCode", &city.codes, |row: AreaRow| {
        divisions.push(Division {
            code: row.code,
            name: row.name,
            level: DivisionLevel::District,
            parent_code: None,
        });
    })?;
    for_each_row_of_city(STREETS, "cityCode", &city.codes, |row: StreetRow| {
        divisions.push(Division {
            code: row.code,
            name: row.name,
            level: DivisionLevel::Street,
            parent_code: Some(row.area_code),
        });
    })?;
    Ok(divisions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[derive(Debug, Deserialize)]
    struct BeijingStreetRow {
        street_code: String,
        street_name: String,
        district_code: String,
        district_name: String,
    }

    #[test]
    fn beijing_has_16_districts_and_the_349_streets_of_the_shipped_list() {
        let divisions = load(&resolve("北京").unwrap()).unwrap();
        let districts: Vec<&Division> = divisions
            .iter()
            .filter(|d| d.level == DivisionLevel::District)
            .collect();
        let streets: Vec<&Division> = divisions
            .iter()
            .filter(|d| d.level == DivisionLevel::Street)
            .collect();
        assert_eq!(districts.len(), 16);
        assert_eq!(streets.len(), 349);

        let expected: Vec<BeijingStreetRow> =
            read_all(include_str!("../data/divisions/beijing_streets.csv")).unwrap();
        assert_eq!(expected.len(), 349);
        let district_names: HashMap<&str, &str> = districts
            .iter()
            .map(|d| (d.code.as_str(), d.name.as_str()))
            .collect();
        for (got, want) in streets.iter().zip(&expected) {
            assert_eq!(got.code, want.street_code);
            assert_eq!(got.name, want.street_name);
            assert_eq!(
                got.parent_code.as_deref(),
                Some(want.district_code.as_str())
            );
            assert_eq!(
                district_names[want.district_code.as_str()],
                want.district_name
            );
        }

        let haidian = divisions.iter().find(|d| d.code == "110108").unwrap();
        assert_eq!(haidian.name, "海淀区");
        assert_eq!(haidian.parent_code, None);
        let beixiaguan = divisions.iter().find(|d| d.name == "北下关街道").unwrap();
        assert_eq!(beixiaguan.code, "110108007");
        assert_eq!(beixiaguan.parent_code.as_deref(), Some("110108"));
        assert!(
            districts
                .iter()
                .any(|d| d.code == "110101" && d.name == "东城区")
        );
        assert!(
            districts
                .iter()
                .any(|d| d.code == "110119" && d.name == "延庆区")
        );
    }

    #[test]
    fn beijing_is_found_by_code_name_and_short_name() {
        let beijing = resolve("1101").unwrap();
        assert_eq!(beijing.name, "北京市");
        assert_eq!(beijing.short_name, "北京");
        assert_eq!(beijing.codes, vec!["1101".to_owned()]);
        assert!(beijing.municipality);
        for other in ["北京", "北京市", " 北京市 ", "11", ""] {
            assert_eq!(resolve(other).unwrap(), beijing, "{other:?}");
        }
    }

    #[test]
    fn an_ordinary_city_is_found_with_or_without_its_suffix() {
        let sjz = resolve("石家庄").unwrap();
        assert_eq!(sjz.code, "1301");
        assert_eq!(sjz.name, "石家庄市");
        assert!(!sjz.municipality);
        assert_eq!(resolve("石家庄市").unwrap(), sjz);
        assert_eq!(resolve("1301").unwrap(), sjz);
        let xilingol = resolve("锡林郭勒盟").unwrap();
        assert_eq!(xilingol.code, "1525");
        assert_eq!(xilingol.short_name, "锡林郭勒盟");
    }

    #[test]
    fn chongqing_takes_both_of_its_city_codes() {
        let cq = resolve("重庆").unwrap();
        assert_eq!(cq.code, "5001");
        assert_eq!(cq.codes, vec!["5001".to_owned(), "5002".to_owned()]);
        assert_eq!(resolve("5002").unwrap(), cq);
        let divisions = load(&cq).unwrap();
        assert!(divisions.iter().any(|d| d.name == "万州区"));
        assert!(divisions.iter().any(|d| d.name == "城口县"));
    }

    #[test]
    fn unknown_or_non_cities_are_refused() {
        for bad in ["火星市", "9999", "123", "市辖区", "县", "河北"] {
            assert_eq!(
                resolve(bad),
                Err(ReferenceError::UnknownCity(bad.to_owned())),
                "{bad}"
            );
        }
        assert!(matches!(resolve("4190"), Err(ReferenceError::NotACity(_))));
        assert!(matches!(resolve("13"), Err(ReferenceError::NotACity(_))));
    }

    #[test]
    fn city_names_are_unique_apart_from_placeholders() {
        let cities: Vec<CityRow> = read_all(CITIES).unwrap();
        let mut seen = HashSet::new();
        for city in &cities {
            if !PLACEHOLDER_CITY_NAMES.contains(&city.name.as_str()) {
                assert!(seen.insert(short_name(&city.name)), "{}", city.name);
            }
        }
        assert!(seen.len() > 300);
    }

    #[test]
    fn every_street_in_the_country_lies_in_a_district_of_its_city() {
        #[derive(Deserialize)]
        struct Area {
            code: String,
            #[serde(rename = "cityCode")]
            city_code: String,
        }
        #[derive(Deserialize)]
        struct Street {
            #[serde(rename = "areaCode")]
            area_code: String,
            #[serde(rename = "cityCode")]
            city_code: String,
        }
        let areas: HashMap<String, String> = read_all::<Area>(AREAS)
            .unwrap()
            .into_iter()
            .map(|a| (a.code, a.city_code))
            .collect();
        let streets: Vec<Street> = read_all(STREETS).unwrap();
        assert_eq!(streets.len(), 41_352);
        for street in &streets {
            assert_eq!(areas.get(&street.area_code), Some(&street.city_code));
        }
    }
}
