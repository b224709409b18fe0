//! 派单规则 dispatch rules as data, and [`route`]: which unit a ticket goes to, and why.
//!
//! A [`RuleSet`] is versioned data that admins edit. For a ticket's facts (its catalog
//! category, street, district, and the scene its text describes) [`route`] tries the rules in a
//! fixed order, most specific first, and the first one that applies gives the lead unit:
//!
//! 1. the street's responsibility list (街乡职责清单): entries for the ticket's street;
//! 2. the district's responsibility list: entries for the ticket's district;
//! 3. scene rules: where the problem is (inside a residential compound, on a city road, in a
//!    park, by a river, in a market) overrides the category's usual unit;
//! 4. leaf rules: an admin's lead unit (and assisting units) for a catalog category;
//! 5. the catalog: the leaf's default unit, so that every leaf routes without configuration.
//!
//! Within one step a longer (more specific) category prefix comes first, then list order.
//! Every rule whose category covers the ticket is reported with its outcome: applied, not
//! applicable (with the fact that excluded it), undecided (a fact it needs is unknown), or
//! overridden (a rule above it applied). A routing is *confident* when a rule applied and no
//! rule above it was undecided: nothing the ticket does not say could have changed the unit.
//!
//! 首接负责制 first-receiver responsibility: when the rule set says so, the unit that first
//! received a ticket may not send it back if the ticket's category is in that unit's own
//! responsibility list for the ticket's place ([`RuleSet::first_receiver_entry`]).

use crate::directory::Directory;
use crate::reference::{CatalogNode, DivisionLevel};
use crate::ticket::{Event, EventRecord};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// 场景 where the problem is: the fact that decides the unit for many categories (DESIGN §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scene {
    /// 小区 inside a residential compound (property management's ground).
    ResidentialCompound,
    /// 城市道路 on a city road or street.
    CityRoad,
    /// 公园 in a park.
    Park,
    /// 河道 by a river, canal or lake.
    River,
    /// 市场 in a market.
    Market,
}

impl Scene {
    /// Every scene, in a stable order.
    pub const ALL: [Scene; 5] = [
        Scene::ResidentialCompound,
        Scene::CityRoad,
        Scene::Park,
        Scene::River,
        Scene::Market,
    ];

    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Scene::ResidentialCompound => "residential_compound",
            Scene::CityRoad => "city_road",
            Scene::Park => "park",
            Scene::River => "river",
            Scene::Market => "market",
        }
    }
}

impl fmt::Display for Scene {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a scene rule sends the ticket to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// This unit (`{"unit": "cgw"}`).
    Unit(String),
    /// The street office of the ticket's street (`"street_office"`).
    StreetOffice,
    /// The government of the ticket's district (`"district_government"`).
    DistrictGovernment,
}

/// A catalog category's lead unit and assisting units, and whether its tickets may be
/// dispatched without a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafRule {
    /// Catalog code: a leaf, or an inner node to cover all its leaves.
    pub category: String,
    /// 主办 lead unit; the catalog's default unit when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_unit: Option<String>,
    /// 协办 assisting units.
    #[serde(default)]
    pub assisting_units: Vec<String>,
    /// 自动派单: confident routings of this category go out without a dispatcher.
    #[serde(default)]
    pub auto_dispatch: bool,
}

/// A scene that overrides the categories' usual unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneRule {
    /// Stable identifier, named in explanations and reports.
    pub id: String,
    /// The scene.
    pub scene: Scene,
    /// Catalog codes (leaves or inner nodes) the rule covers.
    pub categories: Vec<String>,
    /// Who gets the ticket.
    pub target: Target,
    /// 协办 assisting units.
    #[serde(default)]
    pub assisting_units: Vec<String>,
    /// Why the rule exists (the regulation, the agreement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// 职责清单 one entry of a street's or a district's responsibility list: in this place, these
/// categories are this unit's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Responsibility {
    /// Stable identifier.
    pub id: String,
    /// Street (9 digits) or district (6 digits) code.
    pub division: String,
    /// Catalog codes (leaves or inner nodes) the entry covers.
    pub categories: Vec<String>,
    /// The responsible unit.
    pub unit: String,
    /// Only in this scene, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<Scene>,
}

/// 派单规则集 one version of the dispatch rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Version, from 1; a ticket records the version it was routed by.
    pub version: u32,
    /// Leaf rules (over the catalog's default units).
    #[serde(default)]
    pub leaves: Vec<LeafRule>,
    /// Scene rules.
    #[serde(default)]
    pub scenes: Vec<SceneRule>,
    /// Responsibility lists of streets and districts.
    #[serde(default)]
    pub responsibilities: Vec<Responsibility>,
    /// 首接负责制: the first unit may not return a ticket in its own responsibility list.
    #[serde(default = "yes")]
    pub first_receiver_responsibility: bool,
}

fn yes() -> bool {
    true
}

/// The categories of public facilities and the environment whose unit depends on the scene.
const FACILITIES: [&str; 5] = [
    "010201", // 园林绿化环卫
    "010203", // 居民服务设施
    "010204", // 城市公共设施 (street lights, manhole covers, benches)
    "010211", // 基础设施
    "010214", // 环境卫生
];

impl RuleSet {
    /// Version 1: the catalog's default units (no leaf rules needed), no automatic dispatch,
    /// and the scene rules of Beijing's street-light example (DESIGN §6) for the categories of
    /// public facilities and sanitation: inside a residential compound the street office, which
    /// supervises the property company (《北京市物业管理条例》 2020, art. 5: street offices
    /// organise and supervise property management in their area); on a city road 城管委, which
    /// runs road lighting and sanitation; in a park 园林绿化局; by a river 水务局; in a market
    /// 市场监管局, which holds the market operator to its duties.
    pub fn defaults() -> RuleSet {
        let cats = || FACILITIES.iter().map(|c| (*c).to_string()).collect();
        let rule = |id: &str, scene, target, note: &str| SceneRule {
            id: id.into(),
            scene,
            categories: cats(),
            target,
            assisting_units: Vec::new(),
            note: Some(note.into()),
        };
        RuleSet {
            version: 1,
            leaves: Vec::new(),
            scenes: vec![
                rule(
                    "compound-facilities",
                    Scene::ResidentialCompound,
                    Target::StreetOffice,
                    "小区内设施由物业服务企业负责，街道办事处督促物业",
                ),
                rule(
                    "road-facilities",
                    Scene::CityRoad,
                    Target::Unit("cgw".into()),
                    "城市道路照明、环卫由城管委负责",
                ),
                rule(
                    "park-facilities",
                    Scene::Park,
                    Target::Unit("ylj".into()),
                    "公园内设施由园林绿化部门负责",
                ),
                rule(
                    "river-facilities",
                    Scene::River,
                    Target::Unit("swj".into()),
                    "河道及沿河设施由水务部门负责",
                ),
                rule(
                    "market-facilities",
                    Scene::Market,
                    Target::Unit("scjgj".into()),
                    "市场内设施与卫生由开办方负责，市场监管局督促",
                ),
            ],
            responsibilities: Vec::new(),
            first_receiver_responsibility: true,
        }
    }

    /// Checks every code against the directory and every identifier for uniqueness. The error
    /// names the field in request spelling (`scenes[2].target.unit`).
    pub fn validate(&self, dir: &dyn Directory) -> Result<(), RuleError> {
        let unit = |field: String, code: &str| match dir.unit(code) {
            Some(_) => Ok(()),
            None => Err(RuleError::new(field, format!("unknown unit '{code}'"))),
        };
        let categories = |field: String, codes: &[String]| {
            if codes.is_empty() {
                return Err(RuleError::new(field, "must name at least one category"));
            }
            for (i, c) in codes.iter().enumerate() {
                if dir.catalog(c).is_none() {
                    return Err(RuleError::new(
                        format!("{field}[{i}]"),
                        format!("unknown catalog code '{c}'"),
                    ));
                }
            }
            Ok(())
        };
        let assisting = |field: String, lead: Option<&str>, units: &[String]| {
            for (i, u) in units.iter().enumerate() {
                unit(format!("{field}[{i}]"), u)?;
                if Some(u.as_str()) == lead {
                    return Err(RuleError::new(
                        format!("{field}[{i}]"),
                        "the lead unit cannot also assist",
                    ));
                }
            }
            Ok(())
        };
        let mut ids = HashSet::new();
        let mut id = |field: String, id: &str| {
            let ok = !id.trim().is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(RuleError::new(
                    field,
                    "must be 1 to 64 ASCII letters, digits, '-', '_' or '.'",
                ));
            }
            if id.starts_with("leaf:") || id.starts_with("catalog:") || !ids.insert(id.to_string())
            {
                return Err(RuleError::new(field, format!("'{id}' is used twice")));
            }
            Ok(())
        };
        let mut leaves = HashSet::new();
        for (i, l) in self.leaves.iter().enumerate() {
            let at = format!("leaves[{i}]");
            categories(format!("{at}.category"), std::slice::from_ref(&l.category))
                .map_err(|e| RuleError::new(format!("{at}.category"), e.message))?;
            if !leaves.insert(l.category.as_str()) {
                return Err(RuleError::new(
                    format!("{at}.category"),
                    format!("'{}' has two leaf rules", l.category),
                ));
            }
            if let Some(u) = &l.lead_unit {
                unit(format!("{at}.lead_unit"), u)?;
            } else if !is_leaf(dir, &l.category) {
                return Err(RuleError::new(
                    format!("{at}.lead_unit"),
                    "is required for a category that is not a leaf",
                ));
            }
            let lead = l
                .lead_unit
                .as_deref()
                .or_else(|| dir.catalog(&l.category)?.default_unit.as_deref());
            assisting(format!("{at}.assisting_units"), lead, &l.assisting_units)?;
        }
        for (i, s) in self.scenes.iter().enumerate() {
            let at = format!("scenes[{i}]");
            id(format!("{at}.id"), &s.id)?;
            categories(format!("{at}.categories"), &s.categories)?;
            let lead = match &s.target {
                Target::Unit(u) => {
                    unit(format!("{at}.target.unit"), u)?;
                    Some(u.as_str())
                }
                Target::StreetOffice | Target::DistrictGovernment => None,
            };
            assisting(format!("{at}.assisting_units"), lead, &s.assisting_units)?;
        }
        for (i, r) in self.responsibilities.iter().enumerate() {
            let at = format!("responsibilities[{i}]");
            id(format!("{at}.id"), &r.id)?;
            if dir.division(&r.division).is_none() {
                return Err(RuleError::new(
                    format!("{at}.division"),
                    format!("unknown street or district '{}'", r.division),
                ));
            }
            categories(format!("{at}.categories"), &r.categories)?;
            unit(format!("{at}.unit"), &r.unit)?;
        }
        Ok(())
    }

    /// The leaf rule for a category: the one with the longest code covering it.
    pub fn leaf_rule(&self, category: &str) -> Option<&LeafRule> {
        self.leaves
            .iter()
            .filter(|l| category.starts_with(&l.category))
            .max_by_key(|l| l.category.len())
    }

    /// Whether tickets of this category may be dispatched without a human.
    pub fn auto_dispatch(&self, category: &str) -> bool {
        self.leaf_rule(category).is_some_and(|l| l.auto_dispatch)
    }

    /// 首接负责: the entry of `unit`'s own responsibility list that covers the ticket, when the
    /// rule set holds first receivers to their lists.
    pub fn first_receiver_entry(&self, unit: &str, facts: &Facts) -> Option<&Responsibility> {
        if !self.first_receiver_responsibility {
            return None;
        }
        let category = facts.category.as_deref()?;
        self.responsibilities.iter().find(|r| {
            r.unit == unit
                && (Some(&r.division) == facts.street.as_ref()
                    || Some(&r.division) == facts.district.as_ref())
                && r.categories
                    .iter()
                    .any(|c| category.starts_with(c.as_str()))
                && r.scene.is_none_or(|s| facts.scenes == [s])
        })
    }
}

fn is_leaf(dir: &dyn Directory, code: &str) -> bool {
    dir.catalog(code)
        .is_some_and(|c: &CatalogNode| c.default_unit.is_some())
}

/// A rule set that does not hold together, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RuleError {
    /// Field path in request spelling.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl RuleError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        RuleError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What routing looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Catalog code (a leaf, ideally).
    pub category: Option<String>,
    /// Street code.
    pub street: Option<String>,
    /// District code.
    pub district: Option<String>,
    /// The scenes found in the text: one is a fact, several are a doubt, none is unknown.
    pub scenes: Vec<Scene>,
    /// Units that may not get the ticket (they returned it and the return was upheld).
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// The kind of rule, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// An entry of the street's responsibility list.
    StreetResponsibility,
    /// An entry of the district's responsibility list.
    DistrictResponsibility,
    /// A scene rule.
    Scene,
    /// A leaf rule.
    Leaf,
    /// The catalog's default unit.
    Catalog,
}

/// How a rule fared for one ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It gave the lead unit.
    Applied,
    /// The ticket's facts rule it out.
    NotApplicable,
    /// A fact it needs is unknown or in doubt.
    Undecided,
    /// It would apply, but a rule tried before it did.
    Overridden,
}

/// One rule considered for a ticket, and why it did or did not apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Considered {
    /// Rule identifier: the scene rule's or entry's id, `leaf:CODE` or `catalog:CODE`.
    pub rule: String,
    /// Kind of rule.
    pub kind: RuleKind,
    /// How it fared.
    pub outcome: Outcome,
    /// The unit it names, when it names one for this ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Why, in words a dispatcher reads.
    pub why: String,
}

/// Where a ticket goes and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    /// The rule set version used.
    pub rules_version: u32,
    /// 主办 the lead unit, when a rule applied.
    pub lead_unit: Option<String>,
    /// 协办 assisting units.
    pub assisting_units: Vec<String>,
    /// The rule that applied.
    pub rule: Option<String>,
    /// Its kind.
    pub kind: Option<RuleKind>,
    /// Every rule covering the category, in the order tried.
    pub considered: Vec<Considered>,
    /// A rule applied and none tried before it was undecided.
    pub confident: bool,
    /// The category's automatic-dispatch switch.
    pub auto_dispatch: bool,
}

/// Whether the rule's category `prefix` covers the ticket's category: `Some(true)` when it does,
/// `Some(false)` when the ticket's category is broader and might fall under it, `None` when not.
fn covers(prefix: &str, category: &str) -> Option<bool> {
    if category.starts_with(prefix) {
        Some(true)
    } else if prefix.starts_with(category) {
        Some(false)
    } else {
        None
    }
}

struct Candidate {
    rule: String,
    kind: RuleKind,
    specificity: usize,
    covered: bool,
    /// The unit, or why there is none (`Err((outcome, why))`).
    unit: Result<String, (Outcome, String)>,
    assisting: Vec<String>,
    why: String,
}

/// Routes a ticket by `rules`: see the module documentation for the order and the outcomes.
pub fn route(rules: &RuleSet, facts: &Facts, dir: &dyn Directory) -> Routing {
    let mut routing = Routing {
        rules_version: rules.version,
        lead_unit: None,
        assisting_units: Vec::new(),
        rule: None,
        kind: None,
        considered: Vec::new(),
        confident: false,
        auto_dispatch: false,
    };
    let Some(category) = facts.category.as_deref() else {
        routing.considered.push(Considered {
            rule: "catalog".into(),
            kind: RuleKind::Catalog,
            outcome: Outcome::Undecided,
            unit: None,
            why: "the ticket has no category yet".into(),
        });
        return routing;
    };
    routing.auto_dispatch = rules.auto_dispatch(category);
    let scene_doubt = || match facts.scenes.as_slice() {
        [] => "no scene was found in the text".to_string(),
        many => format!(
            "several scenes were found in the text: {}",
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let scene_check = |scene: Scene| -> Result<(), (Outcome, String)> {
        match facts.scenes.as_slice() {
            [s] if *s == scene => Ok(()),
            [s] => Err((
                Outcome::NotApplicable,
                format!("the scene is {s}, not {scene}"),
            )),
            many if !many.contains(&scene) && !many.is_empty() => Err((
                Outcome::NotApplicable,
                format!("{scene} is not among the scenes found"),
            )),
            _ => Err((Outcome::Undecided, scene_doubt())),
        }
    };
    let mut candidates: Vec<Candidate> = Vec::new();

    // 1 and 2: responsibility lists.
    for r in &rules.responsibilities {
        let Some((prefix, covered)) = best_cover(&r.categories, category) else {
            continue;
        };
        let level = dir.division(&r.division).map(|d| d.level);
        let (kind, place) = match level {
            Some(DivisionLevel::Street) => (RuleKind::StreetResponsibility, &facts.street),
            _ => (RuleKind::DistrictResponsibility, &facts.district),
        };
        let unit = match place {
            None => Err((
                Outcome::Undecided,
                format!(
                    "the ticket's {} is unknown",
                    if kind == RuleKind::StreetResponsibility {
                        "street"
                    } else {
                        "district"
                    }
                ),
            )),
            Some(p) if *p != r.division => Err((
                Outcome::NotApplicable,
                format!("the list is {}'s, the ticket is in {p}", r.division),
            )),
            Some(_) => match r.scene {
                Some(scene) => scene_check(scene).map(|()| r.unit.clone()),
                None => Ok(r.unit.clone()),
            },
        };
        candidates.push(Candidate {
            rule: r.id.clone(),
            kind,
            specificity: prefix.len(),
            covered,
            unit,
            assisting: Vec::new(),
            why: format!(
                "{}'s responsibility list gives {prefix} to {}",
                r.division, r.unit
            ),
        });
    }
    // 3: scene rules.
    for s in &rules.scenes {
        let Some((prefix, covered)) = best_cover(&s.categories, category) else {
            continue;
        };
        let unit = scene_check(s.scene).and_then(|()| match &s.target {
            Target::Unit(u) => Ok(u.clone()),
            Target::StreetOffice => facts.street.clone().ok_or_else(|| {
                (
                    Outcome::Undecided,
                    "the ticket's street is unknown, so is its street office".to_string(),
                )
            }),
            Target::DistrictGovernment => facts.district.clone().ok_or_else(|| {
                (
                    Outcome::Undecided,
                    "the ticket's district is unknown".to_string(),
                )
            }),
        });
        let target = match &s.target {
            Target::Unit(u) => u.clone(),
            Target::StreetOffice => "the street office".into(),
            Target::DistrictGovernment => "the district government".into(),
        };
        candidates.push(Candidate {
            rule: s.id.clone(),
            kind: RuleKind::Scene,
            specificity: prefix.len(),
            covered,
            unit,
            assisting: s.assisting_units.clone(),
            why: format!("{} {prefix}: {target}", s.scene),
        });
    }
    // 4: leaf rules.
    for l in &rules.leaves {
        let Some(covered) = covers(&l.category, category) else {
            continue;
        };
        let lead = l.lead_unit.clone().or_else(|| {
            dir.catalog(category)
                .and_then(|c| c.default_unit.clone())
                .filter(|_| covered)
        });
        candidates.push(Candidate {
            rule: format!("leaf:{}", l.category),
            kind: RuleKind::Leaf,
            specificity: l.category.len(),
            covered,
            unit: lead.ok_or((Outcome::Undecided, "no lead unit".into())),
            assisting: l.assisting_units.clone(),
            why: format!("the lead unit of {}", l.category),
        });
    }
    // 5: the catalog.
    let node = dir.catalog(category);
    candidates.push(Candidate {
        rule: format!("catalog:{category}"),
        kind: RuleKind::Catalog,
        specificity: category.len(),
        covered: node.is_some_and(|n| n.default_unit.is_some()),
        unit: match node.and_then(|n| n.default_unit.clone()) {
            Some(u) => Ok(u),
            None if node.is_none() => Err((
                Outcome::NotApplicable,
                format!("{category} is not in the catalog"),
            )),
            None => Err((
                Outcome::Undecided,
                format!("{category} is not a leaf: choose its level-3 category"),
            )),
        },
        assisting: Vec::new(),
        why: format!("the catalog's default unit for {category}"),
    });

    let order = |k: RuleKind| k as u8;
    // Stable: list order within equal kind and specificity.
    candidates.sort_by_key(|c| (order(c.kind), std::cmp::Reverse(c.specificity)));
    let mut doubt = false;
    for c in candidates {
        let (outcome, unit, why) = match (&routing.rule, c.covered, c.unit) {
            (_, false, _) => (
                Outcome::Undecided,
                None,
                format!("{}; only if the category is narrowed to it", c.why),
            ),
            (_, true, Err((outcome, why))) => (outcome, None, format!("{}; but {why}", c.why)),
            (_, true, Ok(u)) if facts.exclude.contains(&u) => (
                Outcome::NotApplicable,
                Some(u.clone()),
                format!("{}; but {u} returned this ticket", c.why),
            ),
            (Some(_), true, Ok(u)) => (Outcome::Overridden, Some(u), c.why),
            (None, true, Ok(u)) => {
                routing.lead_unit = Some(u.clone());
                routing.assisting_units = c.assisting.into_iter().filter(|a| *a != u).collect();
                routing.rule = Some(c.rule.clone());
                routing.kind = Some(c.kind);
                routing.confident = !doubt;
                (Outcome::Applied, Some(u), c.why)
            }
        };
        if outcome == Outcome::Undecided && routing.rule.is_none() {
            doubt = true;
        }
        routing.considered.push(Considered {
            rule: c.rule,
            kind: c.kind,
            outcome,
            unit,
            why,
        });
    }
    routing
}

/// The most specific of `prefixes` that covers `category` (or might, if it is narrowed).
fn best_cover<'a>(prefixes: &'a [String], category: &str) -> Option<(&'a str, bool)> {
    prefixes
        .iter()
        .filter_map(|p| covers(p, category).map(|c| (p.as_str(), c)))
        .max_by_key(|(p, c)| (*c, p.len()))
}

/// 派单依据 what a dispatch was routed by, kept on the `dispatched` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutedBy {
    /// The rule set version in force.
    pub rules_version: u32,
    /// The rule that proposed this unit; `None` when the dispatcher chose another unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The unit the rules proposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_unit: Option<String>,
    /// Sent without a human (自动派单).
    #[serde(default)]
    pub automatic: bool,
}

impl RoutedBy {
    /// The record of a dispatch to `lead_unit` under `routing`.
    pub fn of(routing: &Routing, lead_unit: &str, automatic: bool) -> RoutedBy {
        let followed = routing.lead_unit.as_deref() == Some(lead_unit);
        RoutedBy {
            rules_version: routing.rules_version,
            rule: routing.rule.clone().filter(|_| followed),
            proposed_unit: routing.lead_unit.clone(),
            automatic,
        }
    }
}

/// Returns counted for one unit or one rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReturnRow {
    /// Unit code, or rule id (`manual` for dispatches that did not follow a rule).
    pub key: String,
    /// Dispatches in the period.
    pub dispatched: u64,
    /// Of those, returned by the unit.
    pub returned: u64,
    /// Returns the reviewer upheld (the unit was right: a misrouting).
    pub upheld: u64,
    /// Returns the reviewer refused.
    pub refused: u64,
    /// Upheld returns where the reviewer flagged the rule.
    pub flagged: u64,
    /// `returned / dispatched`.
    pub return_rate: Option<f64>,
    /// `upheld / dispatched`: how often it sent tickets to the wrong unit.
    pub misroute_rate: Option<f64>,
}

/// 退单率 the return report: per unit and per rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReturnReport {
    /// Per lead unit, most returns first.
    pub by_unit: Vec<ReturnRow>,
    /// Per routing rule, most returns first.
    pub by_rule: Vec<ReturnRow>,
}

/// Counts the dispatches made in `[from, to)` and what became of them, from whole ticket logs.
pub fn return_report(
    logs: &[Vec<EventRecord>],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ReturnReport {
    let mut units: BTreeMap<String, ReturnRow> = BTreeMap::new();
    let mut rules: BTreeMap<String, ReturnRow> = BTreeMap::new();
    for log in logs {
        // The dispatch in the period that the ticket's next return answers.
        let mut open: Option<(String, String)> = None;
        for r in log {
            match &r.event {
                Event::Dispatched {
                    lead_unit, routing, ..
                } => {
                    open = None;
                    if r.at >= from && r.at < to {
                        let rule = routing
                            .as_ref()
                            .and_then(|x| x.rule.clone())
                            .unwrap_or_else(|| "manual".into());
                        bump(&mut units, lead_unit, |x| x.dispatched += 1);
                        bump(&mut rules, &rule, |x| x.dispatched += 1);
                        open = Some((lead_unit.clone(), rule));
                    }
                }
                Event::Transferred { .. } => open = None,
                Event::Returned { .. } => {
                    if let Some((u, rule)) = &open {
                        bump(&mut units, u, |x| x.returned += 1);
                        bump(&mut rules, rule, |x| x.returned += 1);
                    }
                }
                Event::ReturnUpheld { flagged_rule, .. } => {
                    if let Some((u, rule)) = &open {
                        let flagged = u64::from(flagged_rule.is_some());
                        bump(&mut units, u, |x| {
                            x.upheld += 1;
                            x.flagged += flagged;
                        });
                        bump(&mut rules, rule, |x| {
                            x.upheld += 1;
                            x.flagged += flagged;
                        });
                    }
                    open = None;
                }
                Event::ReturnRefused { .. } => {
                    if let Some((u, rule)) = &open {
                        bump(&mut units, u, |x| x.refused += 1);
                        bump(&mut rules, rule, |x| x.refused += 1);
                    }
                }
                _ => {}
            }
        }
    }
    let finish = |m: BTreeMap<String, ReturnRow>| {
        let mut rows: Vec<ReturnRow> = m
            .into_values()
            .map(|mut r| {
                let rate = |n: u64| (r.dispatched > 0).then(|| n as f64 / r.dispatched as f64);
                r.return_rate = rate(r.returned);
                r.misroute_rate = rate(r.upheld);
                r
            })
            .collect();
        rows.sort_by(|a, b| {
            b.returned
                .cmp(&a.returned)
                .then(b.dispatched.cmp(&a.dispatched))
                .then(a.key.cmp(&b.key))
        });
        rows
    };
    ReturnReport {
        by_unit: finish(units),
        by_rule: finish(rules),
    }
}

fn bump(m: &mut BTreeMap<String, ReturnRow>, key: &str, f: impl FnOnce(&mut ReturnRow)) {
    f(m.entry(key.to_string()).or_insert_with(|| ReturnRow {
        key: key.to_string(),
        ..ReturnRow::default()
    }));
}

#[cfg(test)]
mod tests;
