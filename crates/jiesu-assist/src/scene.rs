//! 场景 where the problem is, read from the citizen's words: inside a residential compound, on a
//! city road, in a park, by a river, in a market. The scene decides the unit for many
//! categories (DESIGN §6: the street light). Each scene found comes with the words that showed
//! it; words that merely contain a cue (`市场监管`, `公园路`) do not count.

use aho_corasick::{AhoCorasick, MatchKind};
use jiesu_core::dispatch::Scene;
use serde::Serialize;

/// The cues: each word and the scene it shows (`None`: a longer word that hides a cue).
const CUES: &[(&str, Option<Scene>)] = &[
    ("小区", Some(Scene::ResidentialCompound)),
    ("楼道", Some(Scene::ResidentialCompound)),
    ("院内", Some(Scene::ResidentialCompound)),
    ("院里", Some(Scene::ResidentialCompound)),
    ("楼栋", Some(Scene::ResidentialCompound)),
    ("单元门", Some(Scene::ResidentialCompound)),
    ("家属院", Some(Scene::ResidentialCompound)),
    ("物业", Some(Scene::ResidentialCompound)),
    ("马路", Some(Scene::CityRoad)),
    ("路口", Some(Scene::CityRoad)),
    ("交叉口", Some(Scene::CityRoad)),
    ("大街", Some(Scene::CityRoad)),
    ("路边", Some(Scene::CityRoad)),
    ("道路", Some(Scene::CityRoad)),
    ("人行道", Some(Scene::CityRoad)),
    ("辅路", Some(Scene::CityRoad)),
    ("主路", Some(Scene::CityRoad)),
    ("过街天桥", Some(Scene::CityRoad)),
    ("公园", Some(Scene::Park)),
    ("游园", Some(Scene::Park)),
    ("河边", Some(Scene::River)),
    ("河道", Some(Scene::River)),
    ("沿河", Some(Scene::River)),
    ("河岸", Some(Scene::River)),
    ("河堤", Some(Scene::River)),
    ("湖边", Some(Scene::River)),
    ("市场", Some(Scene::Market)),
    ("菜市场", Some(Scene::Market)),
    ("农贸市场", Some(Scene::Market)),
    ("早市", Some(Scene::Market)),
    ("集市", Some(Scene::Market)),
    // Longer words that contain a cue but say nothing about the place.
    ("市场监管", None),
    ("市场价", None),
    ("公园路", None),
    ("小区名", None),
];

/// One scene found, with the words that showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// The scene.
    pub scene: Scene,
    /// The words, in the order they appear (each once).
    pub words: Vec<String>,
}

/// What the text says about the place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SceneReading {
    /// The scene, when exactly one was found.
    pub value: Option<Scene>,
    /// Every scene found, in order of first appearance.
    pub found: Vec<Found>,
}

impl SceneReading {
    /// The scenes found, as routing takes them.
    pub fn scenes(&self) -> Vec<Scene> {
        self.found.iter().map(|f| f.scene).collect()
    }

    /// The words behind the scenes, for a proposal's reasons.
    pub fn reasons(&self) -> Vec<String> {
        self.found.iter().flat_map(|f| f.words.clone()).collect()
    }
}

/// The scene rules, compiled once.
pub struct Scenes {
    matcher: AhoCorasick,
}

impl Default for Scenes {
    fn default() -> Self {
        Self::new()
    }
}

impl Scenes {
    /// Compiles the cues.
    pub fn new() -> Scenes {
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(CUES.iter().map(|(w, _)| w))
            .expect("the scene cues compile");
        Scenes { matcher }
    }

    /// Reads the scene from a text.
    pub fn read(&self, text: &str) -> SceneReading {
        let mut found: Vec<Found> = Vec::new();
        for m in self.matcher.find_iter(text) {
            let (word, scene) = CUES[m.pattern().as_usize()];
            let Some(scene) = scene else { continue };
            match found.iter_mut().find(|f| f.scene == scene) {
                Some(f) if !f.words.iter().any(|w| w == word) => f.words.push(word.into()),
                Some(_) => {}
                None => found.push(Found {
                    scene,
                    words: vec![word.into()],
                }),
            }
        }
        SceneReading {
            value: match found.as_slice() {
                [one] => Some(one.scene),
                _ => None,
            },
            found,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_street_lights_are_told_apart() {
        let s = Scenes::new();
        for (text, scene, word) in [
            (
                "我家小区里的路灯坏了好几天",
                Scene::ResidentialCompound,
                "小区",
            ),
            ("大柳树路口的路灯连续三晚不亮", Scene::CityRoad, "路口"),
            ("紫竹院公园东门附近路灯不亮", Scene::Park, "公园"),
            ("南长河河边步道的路灯不亮", Scene::River, "河边"),
        ] {
            let r = s.read(text);
            assert_eq!(r.value, Some(scene), "{text}: {r:?}");
            assert!(r.found[0].words.contains(&word.to_string()), "{text}");
        }
    }

    #[test]
    fn two_places_are_a_doubt_and_lookalikes_do_not_count() {
        let s = Scenes::new();
        let r = s.read("小区门口的马路上路灯不亮");
        assert_eq!(r.value, None);
        assert_eq!(
            r.scenes(),
            vec![Scene::ResidentialCompound, Scene::CityRoad]
        );
        assert_eq!(r.reasons(), vec!["小区".to_string(), "马路".to_string()]);
        assert_eq!(s.read("请市场监管部门查处虚假广告").value, None);
        assert_eq!(s.read("公园路12号路灯不亮").value, None);
        assert_eq!(s.read("家里停水了").found, vec![]);
    }
}
