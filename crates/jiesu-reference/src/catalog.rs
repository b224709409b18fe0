//! 派单目录: the three-level catalog, with a default lead unit on every leaf.
//!
//! `data/catalog.csv` is generated once by `tools/gen_catalog.py` from the TipDM 2020
//! problem C catalog (15 / 118 / 517 categories). Each row is one leaf: its 6-digit code, the
//! names of its three levels and its default unit. The inner nodes are rebuilt here from the
//! leaves; their codes are the leaf code's first 2 and 4 digits.

use crate::ReferenceError;
use jiesu_core::reference::CatalogNode;
use serde::Deserialize;

const CATALOG: &str = include_str!("../data/catalog.csv");

#[derive(Debug, Deserialize)]
struct LeafRow {
    code: String,
    level1: String,
    level2: String,
    level3: String,
    default_unit: String,
}

/// The catalog in tree order: each node is followed by its children.
pub(crate) fn load() -> Result<Vec<CatalogNode>, ReferenceError> {
    let mut nodes: Vec<CatalogNode> = Vec::with_capacity(15 + 118 + 517);
    for row in csv::Reader::from_reader(CATALOG.as_bytes()).deserialize() {
        let row: LeafRow = row.map_err(|e| ReferenceError::Corrupt(e.to_string()))?;
        if row.code.len() != 6 || !row.code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ReferenceError::Corrupt(format!(
                "catalog code {:?} is not 6 digits",
                row.code
            )));
        }
        let (code1, code2) = (row.code[..2].to_owned(), row.code[..4].to_owned());
        if !nodes.iter().rev().any(|n| n.code == code1) {
            nodes.push(CatalogNode {
                code: code1.clone(),
                name: row.level1,
                level: 1,
                parent_code: None,
                default_unit: None,
            });
        }
        if !nodes.iter().rev().any(|n| n.code == code2) {
            nodes.push(CatalogNode {
                code: code2.clone(),
                name: row.level2,
                level: 2,
                parent_code: Some(code1),
                default_unit: None,
            });
        }
        nodes.push(CatalogNode {
            code: row.code,
            name: row.level3,
            level: 3,
            parent_code: Some(code2),
            default_unit: Some(row.default_unit),
        });
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::city_unit_codes;
    use std::collections::{HashMap, HashSet};

    fn count(nodes: &[CatalogNode], level: u8) -> usize {
        nodes.iter().filter(|n| n.level == level).count()
    }

    #[test]
    fn catalog_has_15_118_517_nodes_with_unique_codes() {
        let nodes = load().unwrap();
        assert_eq!(count(&nodes, 1), 15);
        assert_eq!(count(&nodes, 2), 118);
        assert_eq!(count(&nodes, 3), 517);
        assert_eq!(nodes.len(), 650);
        let codes: HashSet<&str> = nodes.iter().map(|n| n.code.as_str()).collect();
        assert_eq!(codes.len(), nodes.len());
    }

    #[test]
    fn codes_follow_the_tree_and_only_leaves_have_units() {
        let nodes = load().unwrap();
        let by_code: HashMap<&str, &CatalogNode> =
            nodes.iter().map(|n| (n.code.as_str(), n)).collect();
        for node in &nodes {
            assert_eq!(
                node.code.len(),
                2 * usize::from(node.level),
                "{}",
                node.code
            );
            match node.level {
                1 => assert_eq!(node.parent_code, None),
                _ => {
                    let parent = node.parent_code.as_deref().unwrap();
                    assert!(node.code.starts_with(parent));
                    assert_eq!(by_code[parent].level, node.level - 1);
                }
            }
            assert_eq!(
                node.default_unit.is_some(),
                node.level == 3,
                "{}",
                node.code
            );
        }
        let first: Vec<(&str, &str)> = nodes[..3]
            .iter()
            .map(|n| (n.code.as_str(), n.name.as_str()))
            .collect();
        assert_eq!(
            first,
            [
                ("01", "城乡建设"),
                ("0101", "安全生产"),
                ("010101", "事故处理")
            ]
        );
    }

    #[test]
    fn codes_are_given_in_the_order_of_the_source_file() {
        #[derive(Deserialize)]
        struct SourceRow {
            level1: String,
            level2: String,
            level3: String,
        }
        let source = include_str!("../data/teddy2020c/category_catalog_3level.csv");
        let source: Vec<SourceRow> = csv::Reader::from_reader(source.as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap();
        let leaves: Vec<CatalogNode> = load()
            .unwrap()
            .into_iter()
            .filter(|n| n.level == 3)
            .collect();
        assert_eq!(leaves.len(), source.len());

        let (mut l1, mut l2, mut l3) = (0, 0, 0);
        let mut previous: Option<&SourceRow> = None;
        for (row, leaf) in source.iter().zip(&leaves) {
            match previous {
                Some(p) if p.level1 == row.level1 && p.level2 == row.level2 => l3 += 1,
                Some(p) if p.level1 == row.level1 => (l2, l3) = (l2 + 1, 1),
                _ => (l1, l2, l3) = (l1 + 1, 1, 1),
            }
            previous = Some(row);
            assert_eq!(leaf.code, format!("{l1:02}{l2:02}{l3:02}"));
            assert_eq!(leaf.name, row.level3);
        }
    }

    #[test]
    fn every_leaf_has_a_known_default_unit_and_every_city_unit_is_used() {
        let known: HashSet<&str> = city_unit_codes().collect();
        let nodes = load().unwrap();
        let used: HashSet<&str> = nodes
            .iter()
            .filter_map(|n| n.default_unit.as_deref())
            .collect();
        for unit in &used {
            assert!(known.contains(unit), "unknown default unit {unit}");
        }
        assert_eq!(used, known);
    }

    #[test]
    fn default_units_follow_the_brief() {
        let nodes = load().unwrap();
        let unit_of = |level2: &str, level3: &str| {
            let parent = nodes
                .iter()
                .find(|n| n.level == 2 && n.name == level2)
                .unwrap();
            nodes
                .iter()
                .find(|n| n.parent_code.as_ref() == Some(&parent.code) && n.name == level3)
                .and_then(|n| n.default_unit.clone())
                .unwrap()
        };
        assert_eq!(unit_of("城市建设和市政管理", "环境卫生"), "cgw");
        assert_eq!(unit_of("城市建设和市政管理", "自来水供应"), "water");
        assert_eq!(unit_of("城市建设和市政管理", "冬季采暖"), "heat");
        assert_eq!(unit_of("城市建设和市政管理", "燃气供应"), "gas");
        assert_eq!(unit_of("城市建设和市政管理", "园林绿化"), "ylj");
        assert_eq!(unit_of("食品药品监管", "食品安全"), "scjgj");
        assert_eq!(unit_of("交通管理", "交通事故"), "jgj");
        assert_eq!(unit_of("户籍证件", "身份证管理"), "gaj");
        assert_eq!(unit_of("体育", "体育竞赛"), "tyj");
        assert_eq!(unit_of("文物管理", "文物保护"), "wlj");
        assert_eq!(unit_of("电信", "电信资费"), "txglj");
    }
}
