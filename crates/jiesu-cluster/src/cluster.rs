//! Grouping reports into problems, and ranking problems by heat.

use crate::matcher::{Matcher, Profile, Report};
use crate::place::PlaceKind;
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};

/// How two groups of reports are joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linkage {
    /// Every merge proposal joins two groups (connected components of the proposal graph):
    /// chains of loosely related messages can form, kept short by the window and the
    /// threshold. The default.
    Single,
    /// Groups are joined, best first, while the mean score over all pairs of their members
    /// (any time apart) stays at or above the threshold; the proposal graph (pairs within
    /// the window) only decides which groups may be compared.
    Average,
}

/// One problem reported by one or more people: a candidate master ticket and its members.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// Member report ids, oldest first.
    pub members: Vec<String>,
    /// Title of the member most similar to the others.
    pub title: String,
    /// Id of that member.
    pub representative: String,
    /// Heaviest words over the members.
    pub top_terms: Vec<String>,
    /// The place most members name (most specific first).
    pub place: Option<String>,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// Distinct callers (a report without a caller counts as one).
    pub callers: usize,
    pub likes: u64,
    pub dislikes: u64,
}

impl Cluster {
    /// The heat index (热度指数) of this problem, see [`heat_index`].
    pub fn heat(&self) -> f64 {
        heat_index(
            self.members.len(),
            self.callers,
            self.likes,
            self.dislikes,
            self.last - self.first,
        )
    }
}

/// Heat index of a problem (热度指数), higher is hotter:
///
/// `heat = 3·ln(1 + callers) + ln(1 + likes) + 0.5·ln(1 + dislikes) + 2·c`, with the time
/// concentration `c = (m − 1) / (m − 1 + span_days / 7)` for `m` messages over `span_days`
/// (0 for one message, near 1 when many come within a week).
///
/// Logarithms keep one viral message from drowning ten people writing about the same
/// pothole; people count three times as much as a vote (writing takes more than clicking);
/// a dislike is still attention, at half a like.
pub fn heat_index(
    messages: usize,
    callers: usize,
    likes: u64,
    dislikes: u64,
    span: Duration,
) -> f64 {
    let m = messages as f64;
    let span_days = span.num_seconds().max(0) as f64 / 86_400.0;
    let c = if messages > 1 {
        (m - 1.0) / (m - 1.0 + span_days / 7.0)
    } else {
        0.0
    };
    3.0 * (callers as f64).ln_1p()
        + (likes as f64).ln_1p()
        + 0.5 * (dislikes as f64).ln_1p()
        + 2.0 * c
}

/// Clusters ranked by heat, hottest first, at most `top` (ties: more messages, then older).
pub fn rank_by_heat(clusters: &[Cluster], top: usize) -> Vec<(f64, &Cluster)> {
    let mut ranked: Vec<(f64, &Cluster)> = clusters.iter().map(|c| (c.heat(), c)).collect();
    ranked.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| b.1.members.len().cmp(&a.1.members.len()))
            .then_with(|| a.1.first.cmp(&b.1.first))
    });
    ranked.truncate(top);
    ranked
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// Groups `reports` into problems with the matcher's window and threshold and average
/// linkage; see [`cluster_with`].
pub fn cluster(matcher: &Matcher, reports: &[Report]) -> Vec<Cluster> {
    cluster_with(
        matcher,
        reports,
        Linkage::Average,
        matcher.config().threshold,
    )
}

/// Groups `reports` into problems: pairs within the window scoring at least `threshold`
/// are linked, and the linked groups are split or kept by `linkage`. Largest groups first.
pub fn cluster_with(
    matcher: &Matcher,
    reports: &[Report],
    linkage: Linkage,
    threshold: f32,
) -> Vec<Cluster> {
    let profiles: Vec<Profile> = reports.iter().map(|r| matcher.profile(r)).collect();
    let groups = group_profiles(matcher, &profiles, linkage, threshold);
    let mut clusters: Vec<Cluster> = groups
        .iter()
        .map(|g| summarise(matcher, reports, &profiles, g))
        .collect();
    clusters.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then_with(|| a.first.cmp(&b.first))
    });
    clusters
}

/// Index groups of `profiles` (see [`cluster_with`]).
pub fn group_profiles(
    matcher: &Matcher,
    profiles: &[Profile],
    linkage: Linkage,
    threshold: f32,
) -> Vec<Vec<usize>> {
    let window = Duration::days(matcher.config().window_days);
    let mut order: Vec<usize> = (0..profiles.len()).collect();
    order.sort_by_key(|&i| profiles[i].at);
    let mut uf = UnionFind((0..profiles.len()).collect());
    for (k, &i) in order.iter().enumerate() {
        for &j in &order[k + 1..] {
            if profiles[j].at - profiles[i].at > window {
                break;
            }
            if matcher.similarity(&profiles[i], &profiles[j]).score >= threshold {
                uf.union(i, j);
            }
        }
    }
    let mut components: HashMap<usize, Vec<usize>> = HashMap::new();
    for &i in &order {
        let root = uf.find(i);
        components.entry(root).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (_, component) in components {
        if linkage == Linkage::Single || component.len() < 3 {
            groups.push(component);
        } else {
            groups.extend(average_link(matcher, profiles, &component, threshold));
        }
    }
    for g in &mut groups {
        g.sort_by_key(|&i| (profiles[i].at, i));
    }
    groups.sort_by_key(|g| g[0]);
    groups
}

/// Average-linkage agglomeration inside one component (Lance–Williams update).
fn average_link(
    matcher: &Matcher,
    profiles: &[Profile],
    members: &[usize],
    threshold: f32,
) -> Vec<Vec<usize>> {
    let n = members.len();
    let mut sim = vec![0.0f32; n * n];
    for a in 0..n {
        for b in a + 1..n {
            let s = matcher
                .similarity(&profiles[members[a]], &profiles[members[b]])
                .score;
            sim[a * n + b] = s;
            sim[b * n + a] = s;
        }
    }
    let mut groups: Vec<Option<Vec<usize>>> = (0..n).map(|i| Some(vec![i])).collect();
    loop {
        let mut best: Option<(f32, usize, usize)> = None;
        for a in 0..n {
            if groups[a].is_none() {
                continue;
            }
            for b in a + 1..n {
                if groups[b].is_some() {
                    let s = sim[a * n + b];
                    if s >= threshold && best.is_none_or(|(bs, ..)| s > bs) {
                        best = Some((s, a, b));
                    }
                }
            }
        }
        let Some((_, a, b)) = best else { break };
        let (Some(ga), Some(gb)) = (groups[a].take(), groups[b].take()) else {
            break;
        };
        let (na, nb) = (ga.len() as f32, gb.len() as f32);
        for k in 0..n {
            if k != a && groups[k].is_some() {
                let s = (na * sim[a * n + k] + nb * sim[b * n + k]) / (na + nb);
                sim[a * n + k] = s;
                sim[k * n + a] = s;
            }
        }
        let mut merged = ga;
        merged.extend(gb);
        groups[a] = Some(merged);
    }
    groups
        .into_iter()
        .flatten()
        .map(|g| g.into_iter().map(|i| members[i]).collect())
        .collect()
}

fn summarise(matcher: &Matcher, reports: &[Report], profiles: &[Profile], g: &[usize]) -> Cluster {
    // Representative: the member with the highest summed similarity to the others.
    let rep = if g.len() <= 2 {
        g[0]
    } else {
        let mut best = (f32::MIN, g[0]);
        for &i in g {
            let s: f32 = g
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| matcher.similarity(&profiles[i], &profiles[j]).score)
                .sum();
            if s > best.0 {
                best = (s, i);
            }
        }
        best.1
    };
    let mut weight: HashMap<&str, f32> = HashMap::new();
    for &i in g {
        for (_, w, word) in profiles[i].terms() {
            *weight.entry(word).or_default() += w;
        }
    }
    let mut terms: Vec<(&str, f32)> = weight.into_iter().collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut named: HashMap<(&str, PlaceKind), usize> = HashMap::new();
    for &i in g {
        for p in &profiles[i].places {
            if p.kind != PlaceKind::City {
                *named.entry((p.name.as_str(), p.kind)).or_default() += 1;
            }
        }
    }
    // A site counts three times, a street twice, a district once, times the members naming it.
    let weight_of = |k: PlaceKind| match k {
        k if k.is_site() => 3,
        PlaceKind::Street => 2,
        _ => 1,
    };
    let place = named
        .into_iter()
        .max_by(|a, b| {
            (weight_of(a.0.1) * a.1)
                .cmp(&(weight_of(b.0.1) * b.1))
                .then_with(|| b.0.0.cmp(a.0.0))
        })
        .map(|((name, _), _)| name.to_string());
    let mut callers: HashSet<&str> = HashSet::new();
    let mut anonymous = 0;
    for &i in g {
        match &reports[i].caller {
            Some(c) => {
                callers.insert(c);
            }
            None => anonymous += 1,
        }
    }
    Cluster {
        members: g.iter().map(|&i| reports[i].id.clone()).collect(),
        title: reports[rep].title.clone(),
        representative: reports[rep].id.clone(),
        top_terms: terms.into_iter().take(5).map(|t| t.0.to_string()).collect(),
        place,
        first: g
            .iter()
            .map(|&i| reports[i].at)
            .min()
            .unwrap_or(reports[rep].at),
        last: g
            .iter()
            .map(|&i| reports[i].at)
            .max()
            .unwrap_or(reports[rep].at),
        callers: callers.len() + anonymous,
        likes: g.iter().map(|&i| reports[i].likes).sum(),
        dislikes: g.iter().map(|&i| reports[i].dislikes).sum(),
    }
}
