//! A season of dots (90 days, varied raters and members) and a past Dot Collector meeting.

use super::people::Seeded;
use crate::error::AppError;
use commune_store::{NewDot, WriteTx};

/// A season of dots (90 days, varied raters and members) and a past Dot Collector meeting.
pub(crate) async fn merit_demo(
    tx: &mut WriteTx,
    rng: &mut Seeded,
    org_id: &str,
    ids: &[String],
    now: i64,
) -> Result<(), AppError> {
    const ATTRIBUTES: [&str; 9] = [
        "reliability",
        "creativity",
        "big_picture",
        "attention_to_detail",
        "communication",
        "integrity",
        "open_mindedness",
        "expertise_finance",
        "expertise_engineering",
    ];
    let day = 24 * 3_600_000;
    // Each member's quality (1–10) and each rater's leniency, fixed by the seed.
    let quality: Vec<f64> = (0..ids.len()).map(|_| 3.0 + rng.next(60) as f64 / 10.0).collect();
    let leniency: Vec<f64> = (0..ids.len()).map(|_| rng.next(5) as f64 - 2.0).collect();
    for _ in 0..700 {
        let rater = rng.next(ids.len());
        let ratee = rng.next(ids.len());
        if rater == ratee {
            continue;
        }
        let noise = rng.next(3) as f64 - 1.0;
        let score = (quality[ratee] + leniency[rater] * 0.5 + noise).round().clamp(1.0, 10.0) as i64;
        let attribute = ATTRIBUTES[rng.next(ATTRIBUTES.len())];
        let at = now - (rng.next(90) as i64) * day - rng.next(day as usize) as i64;
        tx.create_dot(&NewDot {
            org_id,
            rater_id: &ids[rater],
            ratee_id: &ids[ratee],
            attribute,
            score,
            context_kind: "task",
            context_id: "",
            comment: "",
            at_ms: at,
        })
        .await?;
    }
    let meeting = tx.create_meeting(org_id, "Autumn planning circle", &ids[0]).await?;
    let circle: Vec<usize> = (0..8).collect();
    for &p in &circle[1..] {
        tx.join_meeting(&meeting, &ids[p]).await?;
    }
    for &rater in &circle {
        for &ratee in &circle {
            if rater == ratee || (ratee != 3 && rng.next(3) == 0) {
                continue;
            }
            // Everyone rates member 3 on big-picture thinking, and the room splits on it.
            let attribute = if ratee == 3 {
                "big_picture"
            } else {
                ["reliability", "communication", "creativity", "big_picture"][rng.next(4)]
            };
            let split = if ratee == 3 && attribute == "big_picture" {
                if rater % 2 == 0 { 2.0 } else { 9.0 }
            } else {
                quality[ratee]
            };
            let score = (split + rng.next(3) as f64 - 1.0).round().clamp(1.0, 10.0) as i64;
            let comment = if score >= 8 { "Kept us on track." } else { "" };
            tx.create_dot(&NewDot {
                org_id,
                rater_id: &ids[rater],
                ratee_id: &ids[ratee],
                attribute,
                score,
                context_kind: "meeting",
                context_id: &meeting,
                comment,
                at_ms: now - 2 * day,
            })
            .await?;
        }
    }
    tx.end_meeting(&meeting).await?;
    Ok(())
}
