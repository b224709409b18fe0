//! Tests of the whole pipeline on a small hand-written fixture.

use crate::*;

fn fixture() -> Vec<Row> {
    let data: &[(&str, &[(&str, &str)])] = &[
        (
            "城乡建设",
            &[
                (
                    "小区停水三天",
                    "我们小区已经停水三天了，物业不管，请尽快恢复供水",
                ),
                ("物业乱收停车费", "小区物业违规收取停车费，业主不满"),
                ("违章建筑无人管", "小区楼顶有人搭建违章建筑，请城管处理"),
                ("小区路灯坏了", "小区里的路灯坏了一个月，物业一直不修"),
                ("拆迁安置房迟迟不交房", "拆迁安置房工程延期，回迁户无房可住"),
            ],
        ),
        (
            "教育文体",
            &[
                (
                    "学校乱收费",
                    "孩子所在的小学乱收补课费，老师强制学生参加补课",
                ),
                ("幼儿园入学难", "孩子上幼儿园报名难，学位不够"),
                ("中学老师体罚学生", "中学班主任体罚学生，请教育局调查"),
                ("学生转学问题", "小学生转学需要哪些手续，学校不给办理"),
                ("教师工资拖欠", "乡村教师的绩效工资被学校拖欠"),
            ],
        ),
        (
            "劳动和社会保障",
            &[
                ("公司不交社保", "公司不给员工缴纳社保和公积金，我们怎么维权"),
                (
                    "拖欠农民工工资",
                    "工地老板拖欠农民工工资半年，请劳动监察处理",
                ),
                ("医保报销问题", "城乡居民医保报销比例太低，社保局怎么规定的"),
                ("退休养老金待遇", "退休人员养老金待遇核算有误，社保不予答复"),
                ("失业保险金申领", "失业保险金怎么申领，社保窗口不受理"),
            ],
        ),
        (
            "交通运输",
            &[
                ("公交车司机态度差", "公交车司机开车打电话，乘客投诉无人理"),
                ("出租车拒载", "出租车司机拒载乘客还绕路多收费"),
                ("道路拥堵红绿灯", "路口红绿灯时间太短，交通拥堵严重"),
                ("网约车违规运营", "网约车平台车辆无证运营，出租车司机不满"),
                ("公交线路调整", "希望增开一条公交线路，方便乘客出行"),
            ],
        ),
        (
            "环境保护",
            &[
                ("工厂排放污水", "化工厂夜间偷排污水，河水发黑发臭，污染严重"),
                ("噪音扰民", "工地夜间施工噪音扰民，环保部门请处理"),
                ("垃圾焚烧污染空气", "垃圾焚烧厂排放黑烟，空气污染严重"),
                ("河道污染", "河道污水横流，鱼虾死亡，请环保局查处排污企业"),
                ("餐馆油烟污染", "楼下餐馆油烟直排，污染环境，环保不管"),
            ],
        ),
    ];
    data.iter()
        .flat_map(|(label, msgs)| msgs.iter().map(move |(t, d)| Row::new(t, d, label)))
        .collect()
}

fn small_options(method: Method) -> TrainOptions {
    TrainOptions {
        method,
        features: FeatureConfig {
            min_df: 1,
            ..FeatureConfig::default()
        },
        ..TrainOptions::default()
    }
}

#[test]
fn a_model_predicts_its_own_obvious_cases() {
    let rows = fixture();
    for method in [Method::Svm, Method::Logreg, Method::Nb, Method::Cnb] {
        let model = Trainer::new(small_options(method)).train(&rows).unwrap();
        assert_eq!(model.classes().len(), 5);
        let report = evaluate(&model, &rows);
        assert_eq!(report.accuracy, 1.0, "{method}: {report}");
        let cases = [
            ("我家小区停水了，物业不管", "城乡建设"),
            ("学校老师乱收补课费", "教育文体"),
            ("公司拖欠工资不交社保", "劳动和社会保障"),
            ("出租车司机拒载绕路", "交通运输"),
            ("工厂偷排污水污染河道", "环境保护"),
        ];
        for (text, want) in cases {
            let p = model.predict(text);
            assert_eq!(p.top[0].0, want, "{method}: {text}: {p:?}");
            let sum: f32 = p.top.iter().map(|t| t.1).sum();
            assert!((sum - 1.0).abs() < 1e-4);
            assert!(p.top.windows(2).all(|w| w[0].1 >= w[1].1));
            assert!(!p.words.is_empty(), "{method}: no explanation for {text}");
        }
    }
}

#[test]
fn explanation_names_the_decisive_words() {
    let model = Trainer::new(small_options(Method::Svm))
        .train(&fixture())
        .unwrap();
    let p = model.predict("出租车司机拒载");
    assert_eq!(p.top[0].0, "交通运输");
    let words: Vec<&str> = p.words.iter().map(|w| w.0.as_str()).collect();
    assert!(
        words
            .iter()
            .any(|w| w.contains("出租") || w.contains("拒载")),
        "{words:?}"
    );
    assert!(p.words.windows(2).all(|w| w[0].1 >= w[1].1));
}

#[test]
fn save_and_load_round_trip_with_identical_predictions() {
    let rows = fixture();
    let mut options = small_options(Method::Svm);
    options.self_training = Some(SelfTraining {
        rounds: 1,
        fraction: 0.5,
        weight: 0.5,
        min_score: -10.0,
        balanced: false,
    });
    let unlabelled = vec![
        (
            "小区物业不作为".to_string(),
            "物业费乱收，小区停水停电".to_string(),
        ),
        (
            "公交车太挤".to_string(),
            "早高峰公交车太挤，希望增加班次".to_string(),
        ),
    ];
    let model = Trainer::new(options)
        .with_unlabelled(unlabelled)
        .with_source("fixture")
        .train(&rows)
        .unwrap();
    assert_eq!(model.provenance().rows, rows.len());
    assert_eq!(model.provenance().self_trained_rows, 1);
    assert_eq!(model.provenance().data_sha256.len(), 64);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    assert_eq!(loaded.classes(), model.classes());
    assert_eq!(loaded.options(), model.options());
    assert_eq!(loaded.provenance(), model.provenance());
    assert_eq!(loaded.scale(), model.scale());
    for text in [
        "小区停水",
        "出租车拒载",
        "孩子转学",
        "社保断缴怎么办",
        "河水发臭",
        "",
        "ABC 123",
    ] {
        assert_eq!(loaded.predict(text), model.predict(text), "{text}");
    }
    for r in &rows {
        assert_eq!(
            loaded.predict_message(&r.title, &r.detail),
            model.predict_message(&r.title, &r.detail)
        );
    }
    // Saving the loaded model gives the same file.
    let again = dir.path().join("again.json");
    loaded.save(&again).unwrap();
    let (a, b) = (
        std::fs::read_to_string(&path).unwrap(),
        std::fs::read_to_string(&again).unwrap(),
    );
    if a != b {
        let at = a
            .bytes()
            .zip(b.bytes())
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        let from = at.saturating_sub(80);
        panic!(
            "files differ at byte {at}: {:?} vs {:?}",
            &a.get(from..(at + 40).min(a.len())),
            &b.get(from..(at + 40).min(b.len()))
        );
    }
}

#[test]
fn a_model_file_of_another_version_or_format_is_refused() {
    let model = Trainer::new(small_options(Method::Nb))
        .train(&fixture())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    model.save(&path).unwrap();
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["format_version"] = serde_json::json!(FORMAT_VERSION + 1);
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    let err = Model::load(&path).unwrap_err();
    assert!(matches!(err, Error::Version { found, .. } if found == FORMAT_VERSION + 1));
    let msg = err.to_string();
    assert!(msg.contains("format version 2 is not supported"), "{msg}");
    assert!(msg.contains("retrain"), "{msg}");

    json["format"] = serde_json::json!("something-else");
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    let msg = Model::load(&path).unwrap_err().to_string();
    assert!(msg.contains("not a jiesu classifier model"), "{msg}");

    std::fs::write(&path, b"{\"format\":\"jiesu-classify\"}").unwrap();
    assert!(matches!(
        Model::load(&path).unwrap_err(),
        Error::Version { found: 0, .. }
    ));
    std::fs::write(&path, b"not json").unwrap();
    assert!(matches!(
        Model::load(&path).unwrap_err(),
        Error::BadModel { .. }
    ));
}

#[test]
fn training_needs_two_classes() {
    let rows = vec![Row::new("a", "b", "x"), Row::new("c", "d", "x")];
    let err = Trainer::new(TrainOptions::default())
        .train(&rows)
        .unwrap_err();
    assert!(err.to_string().contains("at least two classes"), "{err}");
}

#[test]
fn cross_validation_runs_on_the_fixture() {
    let mut rows = fixture();
    rows.extend(fixture());
    let report = cross_validate(&Trainer::new(small_options(Method::Svm)), &rows, 5, 1).unwrap();
    assert_eq!(report.n, rows.len());
    assert_eq!(report.fold_accuracy.len(), 5);
    assert!(report.accuracy > 0.9, "{report}");
}

#[test]
fn the_builtin_model_loads_and_classifies_plain_requests() {
    let model = builtin().unwrap();
    assert_eq!(model.classes().len(), 7);
    assert_eq!(model.provenance().rows, 914);
    assert_eq!(model.options(), &TrainOptions::default());
    let cases = [
        ("小区物业乱收费，还经常停水停电", "城乡建设"),
        ("公司拖欠工资半年，也不给我们交社保", "劳动和社会保障"),
        ("孩子上小学报名难，学校还乱收补课费", "教育文体"),
        ("出租车司机拒载还绕路", "交通运输"),
        ("化工厂晚上偷排废水，河水发臭", "环境保护"),
        ("医院乱收费，医生态度很差", "卫生计生"),
        ("景区门票涨价，导游强制购物", "商贸旅游"),
    ];
    for (text, want) in cases {
        let p = model.predict(text);
        assert_eq!(p.top[0].0, want, "{text}: {p:?}");
        assert!(!p.words.is_empty());
    }
}

/// Trains with `features`, saves, reloads and checks identical predictions and feature names.
fn round_trip_with(features: FeatureConfig, prefix: &str) {
    let options = TrainOptions {
        features,
        ..small_options(Method::Svm)
    };
    let model = Trainer::new(options).train(&fixture()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let names = json["features"].as_array().unwrap();
    assert!(
        names
            .iter()
            .any(|n| n.as_str().unwrap().starts_with(prefix))
    );
    for (title, text) in [("出租车", "司机拒载"), ("", "小区停水"), ("学校", "")] {
        let p = model.predict_message(title, text);
        assert_eq!(loaded.predict_message(title, text), p);
    }
    assert_eq!(model.predict_message("出租车拒载", "").top[0].0, "交通运输");
}

#[test]
fn title_only_features_round_trip() {
    round_trip_with(
        FeatureConfig {
            title_grams: 2,
            min_df: 1,
            ..FeatureConfig::default()
        },
        "t:",
    );
}

#[cfg(feature = "words")]
#[test]
fn word_features_round_trip() {
    round_trip_with(
        FeatureConfig {
            char_max: 0,
            word_max: 2,
            min_df: 1,
            ..FeatureConfig::default()
        },
        "w:",
    );
}

#[cfg(not(feature = "words"))]
#[test]
fn word_features_need_the_words_feature() {
    let options = TrainOptions {
        features: FeatureConfig {
            word_max: 1,
            ..FeatureConfig::default()
        },
        ..TrainOptions::default()
    };
    let err = Trainer::new(options).train(&fixture()).unwrap_err();
    assert!(err.to_string().contains("`words` feature"), "{err}");
}

#[test]
fn latent_features_and_nb_blend_still_predict_the_obvious_cases() {
    let rows = fixture();
    let unlabelled: Vec<(String, String)> = [
        ("小区物业不作为", "物业费乱收，小区停水停电"),
        ("公交车太挤", "早高峰公交车太挤，希望增加班次"),
        ("学校收费", "学校乱收资料费，家长不满"),
        ("排污", "工厂排污，河水发臭"),
        ("社保", "单位不缴社保，养老保险断缴"),
    ]
    .iter()
    .map(|(t, d)| (t.to_string(), d.to_string()))
    .collect();
    let replies: Vec<String> = ["住建局回复", "交通运输局回复", "教育局回复", "", ""]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut options = small_options(Method::Svm);
    options.latent_dims = 8;
    options.latent_weight = 1.0;
    options.nb_blend = 0.05;
    options.self_training = Some(SelfTraining {
        rounds: 1,
        fraction: 0.6,
        weight: 0.3,
        min_score: -10.0,
        balanced: true,
    });
    let model = Trainer::new(options)
        .with_unlabelled(unlabelled)
        .with_unlabelled_context(replies)
        .train(&rows)
        .unwrap();
    assert_eq!(model.provenance().unlabelled_rows, 5);
    assert!(model.provenance().self_trained_rows > 0);
    // The latent weights are folded back: the model has only n-gram features.
    assert!(model.n_features() > 0);
    assert_eq!(evaluate(&model, &rows).accuracy, 1.0);
    for (text, want) in [
        ("我家小区停水了，物业不管", "城乡建设"),
        ("学校老师乱收补课费", "教育文体"),
        ("出租车司机拒载绕路", "交通运输"),
    ] {
        assert_eq!(model.predict(text).top[0].0, want, "{text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    assert_eq!(loaded.predict("河水发臭"), model.predict("河水发臭"));
}

#[test]
fn annotated_messages_are_trained_on_but_never_tested() {
    let rows = fixture();
    let manhole = Row::new(
        "窨井盖丢失",
        "路边窨井盖丢失，晚上行人容易掉进去",
        "城乡建设",
    );
    let annotated = vec![
        manhole.clone(),
        Row::new("窨井盖松动", "窨井盖松动，车辆经过响声很大", "城乡建设"),
        // A class the labelled rows do not have: ignored.
        Row::new("医院乱收费", "医院重复收取检查费", "卫生计生"),
        // A copy of a labelled row with another label: the labelled row wins.
        Row::new(&rows[0].title, &rows[0].detail, "环境保护"),
    ];
    let trainer = Trainer::new(small_options(Method::Svm)).with_annotated(annotated);
    let model = trainer.train(&rows).unwrap();
    assert_eq!(model.provenance().annotated_rows, 2);
    assert_eq!(model.provenance().rows, rows.len());
    assert_eq!(model.predict("窨井盖不见了").top[0].0, "城乡建设");

    // Held out (as cross-validation holds out a fold), a copy is not trained on.
    let held: std::collections::HashSet<u64> =
        [crate::train::text_key(&manhole.title, &manhole.detail)].into();
    let m = trainer.fit(&rows, &held, false).unwrap();
    assert_eq!(m.provenance().annotated_rows, 1);

    // Cross-validation tests the labelled rows only.
    let report = cross_validate(&trainer, &rows, 5, 1).unwrap();
    assert_eq!(report.n, rows.len());

    let off = Trainer::new(TrainOptions {
        annotated_weight: 0.0,
        ..small_options(Method::Svm)
    })
    .with_annotated(vec![manhole]);
    assert_eq!(off.train(&rows).unwrap().provenance().annotated_rows, 0);
}
