//! Compares classifier configurations with stratified 5-fold cross-validation (same folds for
//! all) and measures classification speed on one core.
//!
//! ```text
//! cargo run --release -p jiesu-classify --example compare [--features words] -- \
//!     --data messages_labeled_train.csv [--unlabelled FILE]... [--catalog FILE] \
//!     [--replies messages_with_replies.csv] [--only NAME] [--k 5] [--seed 2026] [--repeat N] [--speed]
//! ```

use jiesu_classify::*;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut data = None;
    let mut unl_files: Vec<PathBuf> = Vec::new();
    let mut only: Vec<String> = Vec::new();
    let mut catalog_file: Option<PathBuf> = None;
    let mut replies_file: Option<PathBuf> = None;
    let mut annotated_file: Option<PathBuf> = None;
    let mut k = 5;
    let mut seed = 2026;
    let mut repeat = 0u64;
    let mut speed = false;
    let mut show = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--unlabelled" => unl_files.push(args.next().expect("file").into()),
            "--catalog" => catalog_file = args.next().map(PathBuf::from),
            "--annotated" => annotated_file = args.next().map(PathBuf::from),
            "--replies" => replies_file = args.next().map(PathBuf::from),
            "--only" => only.push(args.next().expect("name")),
            "--k" => k = args.next().expect("k").parse().expect("k"),
            "--seed" => seed = args.next().expect("seed").parse().expect("seed"),
            "--repeat" => repeat = args.next().expect("n").parse().expect("n"),
            "--speed" => speed = true,
            "--report" => show = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let data = read_labelled(&data.expect("--data FILE")).expect("read data");
    let annotated: Vec<Row> = annotated_file
        .map(|f| read_labelled(&f).expect("read annotated").rows)
        .unwrap_or_default();
    let mut catalog: Vec<Row> = Vec::new();
    let mut unl = Vec::new();
    for f in &unl_files {
        unl.extend(read_texts(f).expect("read unlabelled"));
    }
    if let Some(f) = &catalog_file {
        let mut rdr = csv::Reader::from_path(f).expect("catalog");
        for rec in rdr.records() {
            let rec = rec.expect("catalog record");
            let (l1, l2, l3) = (&rec[0], &rec[1], &rec[2]);
            let l3 = if l3 == "其他" { "" } else { l3 };
            let l2 = if l2 == "其他" { "" } else { l2 };
            if !l2.is_empty() || !l3.is_empty() {
                catalog.push(Row::new(l3, l2, l1));
            }
        }
    }
    // Messages with the department's reply: (title, detail) and the reply.
    let mut replied: Vec<(String, String)> = Vec::new();
    let mut replies: Vec<String> = Vec::new();
    if let Some(f) = &replies_file {
        let mut rdr = csv::Reader::from_path(f).expect("replies");
        let h = rdr.headers().expect("header").clone();
        let col = |n: &str| {
            h.iter()
                .position(|x| x.trim_start_matches('\u{feff}') == n)
                .expect(n)
        };
        let (ct, cd, cr) = (col("title"), col("detail"), col("reply"));
        for rec in rdr.records().flatten() {
            replied.push((rec[ct].trim().to_string(), rec[cd].trim().to_string()));
            replies.push(rec[cr].trim().to_string());
        }
    }
    eprintln!("{} catalog rows", catalog.len());
    eprintln!(
        "{} labelled rows ({} bad), {} unlabelled",
        data.rows.len(),
        data.bad.len(),
        unl.len()
    );

    // The starting point of the comparison (plain TF-IDF + linear SVM), spelled out so that
    // changing the library's defaults does not change this table.
    let base = TrainOptions {
        features: old_features(),
        method: Method::Svm,
        c: 0.5,
        lambda: 1e-4,
        epochs: 50,
        alpha: 0.05,
        balanced: true,
        nb_scale: 0.0,
        extra_weight: 0.0,
        annotated_weight: 1.0,
        nb_blend: 0.0,
        latent_dims: 0,
        latent_weight: 0.0,
        self_training: None,
        vocab_from_unlabelled: false,
        calibrate: false,
        seed: 12345,
    };
    let feat = |char_max: usize, word_max: usize, title_weight: f32| FeatureConfig {
        char_max,
        word_max,
        title_weight,
        ..old_features()
    };
    let st = |fraction: f32, weight: f32| {
        Some(SelfTraining {
            rounds: 1,
            fraction,
            weight,
            min_score: 0.0,
            balanced: false,
        })
    };
    let mut configs: Vec<(String, TrainOptions, bool)> = Vec::new();
    let mut add =
        |name: &str, o: TrainOptions, use_unl: bool| configs.push((name.to_string(), o, use_unl));
    // Character n-grams, methods.
    add(
        "svm c1-3 t1 C0.5",
        TrainOptions {
            features: feat(3, 0, 1.0),
            ..base.clone()
        },
        false,
    );
    add("svm c1-3 t3 C0.5", base.clone(), false);
    add(
        "svm c1-2 t3 C0.5",
        TrainOptions {
            features: feat(2, 0, 3.0),
            ..base.clone()
        },
        false,
    );
    add(
        "svm c1-4 t3 C0.5",
        TrainOptions {
            features: feat(4, 0, 3.0),
            ..base.clone()
        },
        false,
    );
    for c in [0.1, 0.25, 1.0, 2.0] {
        add(
            &format!("svm c1-3 t3 C{c}"),
            TrainOptions { c, ..base.clone() },
            false,
        );
    }
    add(
        "svm c1-3 t3 C0.5 unbalanced",
        TrainOptions {
            balanced: false,
            ..base.clone()
        },
        false,
    );
    add(
        "svm c1-3 t2 C0.5",
        TrainOptions {
            features: feat(3, 0, 2.0),
            ..base.clone()
        },
        false,
    );
    add(
        "svm c1-3 t5 C0.5",
        TrainOptions {
            features: feat(3, 0, 5.0),
            ..base.clone()
        },
        false,
    );
    for lambda in [1e-3, 1e-4, 1e-5] {
        add(
            &format!("logreg c1-3 t3 l{lambda}"),
            TrainOptions {
                method: Method::Logreg,
                lambda,
                ..base.clone()
            },
            false,
        );
    }
    for alpha in [0.01, 0.05, 0.2] {
        add(
            &format!("cnb c1-3 t3 a{alpha}"),
            TrainOptions {
                method: Method::Cnb,
                alpha,
                ..base.clone()
            },
            false,
        );
        add(
            &format!("nb c1-3 t3 a{alpha}"),
            TrainOptions {
                method: Method::Nb,
                alpha,
                ..base.clone()
            },
            false,
        );
    }
    // Word n-grams (jieba), alone and with characters.
    add(
        "svm w1-2 t3 C0.5",
        TrainOptions {
            features: feat(0, 2, 3.0),
            ..base.clone()
        },
        false,
    );
    add(
        "svm w1 t3 C0.5",
        TrainOptions {
            features: feat(0, 1, 3.0),
            ..base.clone()
        },
        false,
    );
    add(
        "svm c1-3+w1-2 t3 C0.5",
        TrainOptions {
            features: feat(3, 2, 3.0),
            ..base.clone()
        },
        false,
    );
    // Unlabelled messages: IDF only, then self-training.
    add("svm c1-3 t3 C0.5 +idf(unl)", base.clone(), true);
    for (fr, w) in [(0.3, 0.5), (0.5, 0.3), (0.5, 0.5), (0.8, 0.3), (1.0, 0.2)] {
        add(
            &format!("svm c1-3 t3 C0.5 self-train {fr}x{w}"),
            TrainOptions {
                self_training: st(fr, w),
                ..base.clone()
            },
            true,
        );
        add(
            &format!("svm c1-3 t3 C0.5 self-train {fr}x{w} vocab(unl)"),
            TrainOptions {
                self_training: st(fr, w),
                vocab_from_unlabelled: true,
                ..base.clone()
            },
            true,
        );
    }
    add(
        "logreg c1-3 t3 l1e-4 self-train 0.5x0.3 vocab(unl)",
        TrainOptions {
            method: Method::Logreg,
            self_training: st(0.5, 0.3),
            vocab_from_unlabelled: true,
            ..base.clone()
        },
        true,
    );

    add(
        "svm c1-4 t3 C0.5 +idf(unl)",
        TrainOptions {
            features: feat(4, 0, 3.0),
            ..base.clone()
        },
        true,
    );
    for nb in [0.1, 1.0] {
        add(
            &format!("nbsvm{nb} c1-3 t3 C0.5"),
            TrainOptions {
                nb_scale: nb,
                ..base.clone()
            },
            false,
        );
    }
    for ew in [0.3, 1.0] {
        add(
            &format!("svm c1-3 t3 C0.5 +catalog{ew}"),
            TrainOptions {
                extra_weight: ew,
                ..base.clone()
            },
            false,
        );
    }
    for nb in [0.03, 0.1, 0.3] {
        for c in [0.25, 0.5, 1.0] {
            for ew in [0.0, 1.0, 2.0] {
                for (cm, tw) in [(3, 3.0), (4, 3.0)] {
                    for unl_idf in [false, true] {
                        add(
                            &format!(
                                "grid nb{nb} C{c} cat{ew} c1-{cm} t{tw}{}",
                                if unl_idf { " idf(unl)" } else { "" }
                            ),
                            TrainOptions {
                                nb_scale: nb,
                                c,
                                extra_weight: ew,
                                features: feat(cm, 0, tw),
                                ..base.clone()
                            },
                            unl_idf,
                        );
                    }
                }
            }
        }
    }
    let best = TrainOptions {
        nb_scale: 0.03,
        c: 1.0,
        extra_weight: 2.0,
        ..base.clone()
    };
    for ew in [3.0, 5.0] {
        add(
            &format!("best cat{ew}"),
            TrainOptions {
                extra_weight: ew,
                ..best.clone()
            },
            false,
        );
    }
    add("best", best.clone(), false);
    for tg in [2, 3] {
        let mut o = best.clone();
        o.features.title_grams = tg;
        add(&format!("best title{tg}"), o, false);
    }
    for df in [1, 3, 5] {
        let mut o = best.clone();
        o.features.min_df = df;
        add(&format!("best df{df}"), o, false);
    }
    for ep in [10, 20, 100] {
        add(
            &format!("best epochs{ep}"),
            TrainOptions {
                epochs: ep,
                ..best.clone()
            },
            false,
        );
    }
    add(
        "best binary-tf",
        TrainOptions {
            features: FeatureConfig {
                sublinear_tf: false,
                ..best.features.clone()
            },
            ..best.clone()
        },
        false,
    );
    for (fr, w, ms) in [
        (0.2, 0.3, 0.0),
        (0.2, 0.3, 0.3),
        (0.4, 0.3, 0.3),
        (0.4, 0.5, 0.5),
        (0.3, 1.0, 0.5),
    ] {
        add(
            &format!("best self-train {fr}x{w} min{ms}"),
            TrainOptions {
                self_training: Some(SelfTraining {
                    rounds: 1,
                    fraction: fr,
                    weight: w,
                    min_score: ms,
                    balanced: false,
                }),
                ..best.clone()
            },
            true,
        );
    }
    // The final comparison (BENCHMARKS.md).
    let nbsvm = TrainOptions {
        nb_scale: 0.03,
        c: 1.0,
        ..base.clone()
    };
    let cat = |w: f32| TrainOptions {
        extra_weight: w,
        ..nbsvm.clone()
    };
    let finals: Vec<(&str, TrainOptions, bool)> = vec![
        (
            "F01 char 1-3 TF-IDF + linear SVM, no title weight",
            TrainOptions {
                features: feat(3, 0, 1.0),
                ..base.clone()
            },
            false,
        ),
        (
            "F02 char 1-3 TF-IDF (title ×3) + linear SVM",
            base.clone(),
            false,
        ),
        (
            "F03 word 1-2 (jieba) TF-IDF + linear SVM",
            TrainOptions {
                features: feat(0, 2, 3.0),
                ..base.clone()
            },
            false,
        ),
        (
            "F04 char 1-3 + word 1-2 + linear SVM",
            TrainOptions {
                features: feat(3, 2, 3.0),
                ..base.clone()
            },
            false,
        ),
        (
            "F05 char 1-3 + logistic regression (SGD)",
            TrainOptions {
                method: Method::Logreg,
                lambda: 1e-5,
                ..base.clone()
            },
            false,
        ),
        (
            "F06 char 1-3 + multinomial NB",
            TrainOptions {
                method: Method::Nb,
                alpha: 0.01,
                ..base.clone()
            },
            false,
        ),
        (
            "F07 char 1-3 + complement NB",
            TrainOptions {
                method: Method::Cnb,
                alpha: 0.05,
                ..base.clone()
            },
            false,
        ),
        ("F08 char 1-3 + NBSVM", nbsvm.clone(), false),
        ("F09 char 1-3 + NBSVM + catalog names ×2", cat(2.0), false),
        ("F10 char 1-3 + NBSVM + catalog names ×5", cat(5.0), false),
        ("F11 F10 + IDF from 7,142 unlabelled", cat(5.0), true),
        (
            "F12 F10 + self-training (20% most confident unlabelled, weight 0.3)",
            TrainOptions {
                self_training: st(0.2, 0.3),
                ..cat(5.0)
            },
            true,
        ),
        (
            "F13 F10 with raw tf",
            TrainOptions {
                features: FeatureConfig {
                    sublinear_tf: false,
                    ..old_features()
                },
                ..cat(5.0)
            },
            false,
        ),
        (
            "F14 F10 with min_df 3",
            TrainOptions {
                features: FeatureConfig {
                    min_df: 3,
                    ..old_features()
                },
                ..cat(5.0)
            },
            false,
        ),
        (
            "F15 F10 with char 1-4",
            TrainOptions {
                features: feat(4, 0, 3.0),
                ..cat(5.0)
            },
            false,
        ),
        (
            "F16 F10 with NB smoothing 0.1",
            TrainOptions {
                nb_scale: 0.1,
                ..cat(5.0)
            },
            false,
        ),
        (
            "F17 F10 with NB smoothing 0.1, C 2",
            TrainOptions {
                nb_scale: 0.1,
                c: 2.0,
                ..cat(5.0)
            },
            false,
        ),
        (
            "F18 F10 with C 0.5",
            TrainOptions { c: 0.5, ..cat(5.0) },
            false,
        ),
    ];
    let g1 = TrainOptions {
        features: FeatureConfig {
            sublinear_tf: false,
            min_df: 3,
            ..old_features()
        },
        ..cat(5.0)
    };
    let with_features = |f: FeatureConfig| TrainOptions {
        features: f,
        ..g1.clone()
    };
    let finals2: Vec<(&str, TrainOptions, bool)> = vec![
        ("G1 F10 with raw tf, min_df 3", g1.clone(), false),
        (
            "G2 G1 with catalog names ×10",
            TrainOptions {
                extra_weight: 10.0,
                ..g1.clone()
            },
            false,
        ),
        (
            "G3 G1 with title ×2",
            with_features(FeatureConfig {
                title_weight: 2.0,
                ..g1.features.clone()
            }),
            false,
        ),
        (
            "G4 G1 with title ×5",
            with_features(FeatureConfig {
                title_weight: 5.0,
                ..g1.features.clone()
            }),
            false,
        ),
        (
            "G5 G1 with min_df 5",
            with_features(FeatureConfig {
                min_df: 5,
                ..g1.features.clone()
            }),
            false,
        ),
        ("G6 G1 + IDF from 7,142 unlabelled", g1.clone(), true),
        (
            "G7 G1 with C 0.5",
            TrainOptions {
                c: 0.5,
                ..g1.clone()
            },
            false,
        ),
    ];

    // Semi-supervised: self-training with the added messages taken per class.
    let bst = |fraction: f32, weight: f32, rounds: usize, vocab: bool| TrainOptions {
        self_training: Some(SelfTraining {
            rounds,
            fraction,
            weight,
            min_score: 0.0,
            balanced: true,
        }),
        vocab_from_unlabelled: vocab,
        ..g1.clone()
    };
    let finals3: Vec<(&str, TrainOptions, bool)> = vec![
        (
            "H1 G1 + balanced self-training 30% x0.3",
            bst(0.3, 0.3, 1, false),
            true,
        ),
        (
            "H2 G1 + balanced self-training 50% x0.3, 2 rounds",
            bst(0.5, 0.3, 2, false),
            true,
        ),
        (
            "H3 G1 + balanced self-training 100% x0.2, vocab(unl)",
            bst(1.0, 0.2, 1, true),
            true,
        ),
        (
            "H4 G1 + balanced self-training 30% x0.5, vocab(unl)",
            bst(0.3, 0.5, 1, true),
            true,
        ),
        (
            "H5 G1 + balanced self-training 60% x0.3, vocab(unl), 2 rounds",
            bst(0.6, 0.3, 2, true),
            true,
        ),
    ];
    let blend = |b: f32, alpha: f32| TrainOptions {
        nb_blend: b,
        alpha,
        ..g1.clone()
    };
    let finals4: Vec<(&str, TrainOptions, bool)> = vec![
        ("I1 G1 + NB blend 0.02 a0.05", blend(0.02, 0.05), false),
        ("I2 G1 + NB blend 0.05 a0.05", blend(0.05, 0.05), false),
        ("I3 G1 + NB blend 0.1 a0.05", blend(0.1, 0.05), false),
        ("I4 G1 + NB blend 0.2 a0.05", blend(0.2, 0.05), false),
        ("I5 G1 + NB blend 0.05 a0.01", blend(0.05, 0.01), false),
        ("I6 G1 + NB blend 0.1 a0.2", blend(0.1, 0.2), false),
    ];
    let lsa = |dims: usize, gamma: f32, vocab: bool| TrainOptions {
        latent_dims: dims,
        latent_weight: gamma,
        vocab_from_unlabelled: vocab,
        ..g1.clone()
    };
    let finals5: Vec<(&str, TrainOptions, bool)> = vec![
        (
            "J0 G1 + LSA 100 γ1 from labelled texts only",
            lsa(100, 1.0, false),
            false,
        ),
        (
            "J1 G1 + LSA 100 γ1 with unlabelled",
            lsa(100, 1.0, false),
            true,
        ),
        (
            "J2 G1 + LSA 100 γ0.5 with unlabelled",
            lsa(100, 0.5, false),
            true,
        ),
        (
            "J3 G1 + LSA 100 γ2 with unlabelled",
            lsa(100, 2.0, false),
            true,
        ),
        (
            "J4 G1 + LSA 200 γ1 with unlabelled",
            lsa(200, 1.0, false),
            true,
        ),
        (
            "J5 G1 + LSA 100 γ1 with unlabelled, vocab(unl)",
            lsa(100, 1.0, true),
            true,
        ),
    ];
    let finals6: Vec<(&str, TrainOptions, bool)> = vec![
        (
            "K0 G1 + balanced self-training on replied messages 50% x0.3, no reply",
            bst(0.5, 0.3, 1, false),
            true,
        ),
        (
            "K1 G1 + balanced self-training on replied messages 50% x0.3, chosen with reply",
            bst(0.5, 0.3, 1, false),
            true,
        ),
        (
            "K2 G1 + balanced self-training on replied messages 30% x0.5, chosen with reply",
            bst(0.3, 0.5, 1, false),
            true,
        ),
        (
            "K3 G1 + balanced self-training on replied messages 100% x0.2, chosen with reply",
            bst(1.0, 0.2, 1, false),
            true,
        ),
        (
            "K4 G1 + balanced self-training on replied messages 50% x1, chosen with reply",
            bst(0.5, 1.0, 1, false),
            true,
        ),
    ];
    let lsa_nb = |dims: usize, blend: f32| TrainOptions {
        nb_blend: blend,
        ..lsa(dims, 1.0, false)
    };
    let finals7: Vec<(&str, TrainOptions, bool)> = vec![
        (
            "L1 G1 + LSA 100 γ1 with unlabelled + NB blend 0.05",
            lsa_nb(100, 0.05),
            true,
        ),
        (
            "L2 G1 + LSA 300 γ1 with unlabelled + NB blend 0.05",
            lsa_nb(300, 0.05),
            true,
        ),
        (
            "L3 G1 + LSA 50 γ1 with unlabelled + NB blend 0.05",
            lsa_nb(50, 0.05),
            true,
        ),
        (
            "L4 G1 + LSA 100 γ1 with unlabelled + NB blend 0.1",
            lsa_nb(100, 0.1),
            true,
        ),
    ];
    let with_annotated = |weight: f32| TrainOptions {
        annotated_weight: weight,
        ..g1.clone()
    };
    let finals8: Vec<(&str, TrainOptions, bool)> = vec![
        ("M1 G1 + annotated messages ×1", with_annotated(1.0), false),
        (
            "M2 G1 + annotated messages ×0.5",
            with_annotated(0.5),
            false,
        ),
        (
            "M3 G1 + annotated messages ×0.25",
            with_annotated(0.25),
            false,
        ),
        (
            "M4 G1 + annotated messages ×0.1",
            with_annotated(0.1),
            false,
        ),
    ];
    assert_eq!(
        lsa_nb(100, 0.1),
        TrainOptions {
            calibrate: false,
            ..TrainOptions::default()
        },
        "L4 is the shipped default"
    );
    let finals: Vec<(&str, TrainOptions, bool)> = finals
        .into_iter()
        .chain(finals8)
        .chain(finals7)
        .chain(finals6)
        .chain(finals5)
        .chain(finals4)
        .chain(finals2)
        .chain(finals3)
        .collect();
    for (name, o, u) in finals {
        add(name, o, u);
    }
    println!(
        "| method | accuracy | macro-F1 | sd of fold accuracy | accuracy / macro-F1, mean of {} × {k}-fold (seeds {seed}..{}) | time of one {k}-fold CV |",
        repeat + 1,
        seed + repeat
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for (name, o, use_unl) in &configs {
        if !only.is_empty()
            && !only.iter().any(|n| {
                name == n || (n.ends_with('*') && name.starts_with(n.trim_end_matches('*')))
            })
        {
            continue;
        }
        if o.features.word_max > 0 && !cfg!(feature = "words") {
            eprintln!("skip {name}: needs --features words");
            continue;
        }
        let mut trainer = Trainer::new(o.clone())
            .with_unlabelled(if *use_unl { unl.clone() } else { Vec::new() })
            .with_extra(catalog.clone())
            .with_annotated(if name.starts_with('M') {
                annotated.clone()
            } else {
                Vec::new()
            });
        if name.starts_with('K') {
            // Self-training on the replied messages, pseudo-labels chosen with the reply.
            trainer = trainer
                .with_unlabelled(replied.clone())
                .with_unlabelled_context(if name.contains("no reply") {
                    Vec::new()
                } else {
                    replies.clone()
                });
        }
        let t = Instant::now();
        let r = cross_validate(&trainer, &data.rows, k, seed).expect("cv");
        let cv_time = t.elapsed().as_secs_f64();
        let m = r.fold_accuracy.iter().sum::<f64>() / r.fold_accuracy.len() as f64;
        let sd = (r.fold_accuracy.iter().map(|a| (a - m).powi(2)).sum::<f64>()
            / (r.fold_accuracy.len() - 1) as f64)
            .sqrt();
        let (mut acc, mut f1) = (r.accuracy, r.macro_f1);
        for s in 1..=repeat {
            let r = cross_validate(&trainer, &data.rows, k, seed + s).expect("cv");
            acc += r.accuracy;
            f1 += r.macro_f1;
        }
        let n = (repeat + 1) as f64;
        println!(
            "| {name} | {:.4} | {:.4} | {sd:.4} | {:.4} / {:.4} | {cv_time:.1} s |",
            r.accuracy,
            r.macro_f1,
            acc / n,
            f1 / n,
        );
        if show {
            eprintln!("{r}");
        }
        if speed {
            let model = trainer.train(&data.rows).expect("train");
            let texts: Vec<(&str, &str)> = data
                .rows
                .iter()
                .map(|r| (r.title.as_str(), r.detail.as_str()))
                .chain(unl.iter().map(|(t, d)| (t.as_str(), d.as_str())))
                .collect();
            let (t, cpu) = (Instant::now(), cpu_seconds());
            let mut n = 0usize;
            let mut sink = 0usize;
            while t.elapsed().as_secs_f64() < 3.0 {
                for (ti, d) in &texts {
                    sink += model.predict_message(ti, d).words.len();
                    n += 1;
                }
            }
            let full = n as f64 / t.elapsed().as_secs_f64();
            let full_cpu = n as f64 / (cpu_seconds() - cpu);
            let (t, cpu) = (Instant::now(), cpu_seconds());
            let mut m2 = 0usize;
            while t.elapsed().as_secs_f64() < 3.0 {
                for (ti, d) in &texts {
                    sink += model.predict_index(ti, d);
                    m2 += 1;
                }
            }
            let fast = m2 as f64 / t.elapsed().as_secs_f64();
            let fast_cpu = m2 as f64 / (cpu_seconds() - cpu);
            let bytes: usize = texts.iter().map(|(a, b)| a.len() + b.len()).sum();
            eprintln!(
                "  speed {name}: predict_message {full:.0} msg/s ({full_cpu:.0} per CPU-second), predict_index {fast:.0} msg/s ({fast_cpu:.0} per CPU-second) (mean {:.0} bytes/msg, {} features) [{sink}]",
                bytes as f64 / texts.len() as f64,
                model.n_features()
            );
        }
    }
}

/// User + system CPU time of this process, from /proc (Linux), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name.
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}

/// Character 1-3-grams, title ×3, sublinear tf, min_df 2.
fn old_features() -> FeatureConfig {
    FeatureConfig {
        char_min: 1,
        char_max: 3,
        word_max: 0,
        title_weight: 3.0,
        sublinear_tf: true,
        min_df: 2,
        title_grams: 0,
    }
}
