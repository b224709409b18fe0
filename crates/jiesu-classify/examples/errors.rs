//! Prints the messages misclassified in 5-fold cross-validation (for error analysis).
use jiesu_classify::*;
fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let rows = read_labelled(path.as_ref()).unwrap().rows;
    let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    let folds = stratified_folds(&labels, 5, 2026);
    let trainer = Trainer::new(TrainOptions {
        calibrate: false,
        ..TrainOptions::default()
    });
    for f in 0..5 {
        let train: Vec<Row> = rows
            .iter()
            .zip(&folds)
            .filter(|(_, g)| **g != f)
            .map(|(r, _)| r.clone())
            .collect();
        let m = trainer.train(&train).unwrap();
        for (r, _) in rows.iter().zip(&folds).filter(|(_, g)| **g == f) {
            let p = m.predict_message(&r.title, &r.detail);
            if p.top[0].0 != r.label {
                let d: String = r.detail.chars().take(60).collect();
                println!(
                    "{} -> {} ({:.2}) | {} | {}",
                    r.label, p.top[0].0, p.top[0].1, r.title, d
                );
            }
        }
    }
}
