//! Exports any accountant can read: a plain-text journal in the format `hledger` (and `ledger`)
//! read, and CSV. In the journal, wallets are liabilities of the commune (it holds members' and
//! businesses' money), settlement is its asset (the money outside that backs them); a debit is a
//! positive posting, as in double-entry bookkeeping. Posted transfers are cleared (`*`), pending
//! ones still holding money are pending (`!`), so `hledger bal --cleared` re-derives posted
//! balances and `--pending` the holds; voided and expired holds moved nothing and are left out.

use super::PendingState;
use super::amount;
use super::check::StoredTransfer;
use super::payments::transfer_code;

/// A ledger (currency) as the exports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commodity {
    pub ledger: u32,
    pub asset: String,
    pub scale: u32,
}

/// The journal account name for an owner: `liabilities:members:ada`, `assets:settlement`.
pub fn account_name(kind: &str, name: &str, account_id: u128) -> String {
    let clean: String =
        name.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '-' }).collect();
    match kind {
        "member" => format!("liabilities:members:{clean}"),
        "org" => format!("liabilities:orgs:{clean}"),
        "pot" => "liabilities:pot".to_owned(),
        "budget" => format!("liabilities:budgets:{clean}"),
        "settlement" => "assets:settlement".to_owned(),
        _ => format!("liabilities:accounts:{account_id:032x}"),
    }
}

/// The journal's opening lines: one `commodity` directive per ledger, fixing its precision.
pub fn journal_header(commodities: &[Commodity]) -> String {
    let mut out = String::from("; Commune ledger export: every transfer as a transaction.\n");
    out.push_str("; Cleared (*) transactions are posted; pending (!) ones are holds still reserving money.\n\n");
    for c in commodities {
        out.push_str(&format!("commodity {} {}\n", amount::format(0, c.scale), c.asset));
    }
    out.push('\n');
    out
}

/// One transfer as a journal transaction, or `None` when it moved nothing that stays on the
/// books (a void, a hold that was settled, voided or expired).
pub fn journal_entry(
    t: &StoredTransfer,
    state: Option<PendingState>,
    commodity: &Commodity,
    debit_name: &str,
    credit_name: &str,
    memo: &str,
) -> Option<String> {
    let status = match (t.flags.pending, state) {
        (true, Some(PendingState::Pending)) => '!',
        (true, _) => return None,
        (false, _) if t.amount == 0 => return None,
        (false, _) => '*',
    };
    let date = date_of(t.at_ms);
    let memo: String = memo.chars().map(|c| if c == ';' || c.is_control() { ' ' } else { c }).collect();
    let description = if memo.trim().is_empty() {
        transfer_code::name(t.code).to_owned()
    } else {
        format!("{} | {}", transfer_code::name(t.code), memo.trim())
    };
    let value = amount::format(i128::from(t.amount), commodity.scale);
    Some(format!(
        "{date} {status} {description}  ; id:{:032x}, seq:{}\n    {debit_name}  {value} {asset}\n    {credit_name}  -{value} {asset}\n\n",
        t.id,
        t.seq,
        asset = commodity.asset
    ))
}

/// `YYYY-MM-DD` (UTC) of a unix-milliseconds instant, by the civil-from-days algorithm.
pub fn date_of(at_ms: i64) -> String {
    let days = at_ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A CSV field, quoted when it must be (RFC 4180).
pub fn csv_field(raw: &str) -> String {
    // A leading = + - @ would be read as a formula by spreadsheets: prefix a quote.
    let safe = if raw.starts_with(['=', '+', '-', '@']) && raw.parse::<f64>().is_err() {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if safe.contains([',', '"', '\n', '\r']) { format!("\"{}\"", safe.replace('"', "\"\"")) } else { safe }
}

#[cfg(test)]
mod tests {
    use super::super::TransferFlags;
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(1_795_305_600_000), "2026-11-22");
        assert_eq!(date_of(951_782_400_000), "2000-02-29");
        assert_eq!(date_of(-86_400_000), "1969-12-31");
    }

    #[test]
    fn entries_by_example() {
        let eur = Commodity { ledger: 1, asset: "EUR".into(), scale: 2 };
        let t = StoredTransfer {
            seq: 7,
            id: 255,
            debit_account_id: 1,
            credit_account_id: 2,
            amount: 1250,
            pending_id: 0,
            ledger: 1,
            code: transfer_code::PAYMENT,
            flags: TransferFlags::default(),
            at_ms: 0,
        };
        let entry = journal_entry(&t, None, &eur, "liabilities:members:a", "liabilities:members:b", "lunch; thanks")
            .unwrap_or_default();
        assert!(entry.starts_with("1970-01-01 * payment | lunch  thanks  ; id:"), "{entry}");
        assert!(entry.contains("    liabilities:members:a  12.50 EUR\n    liabilities:members:b  -12.50 EUR\n"));
        let mut hold = t;
        hold.flags.pending = true;
        assert!(
            journal_entry(&hold, Some(PendingState::Pending), &eur, "a", "b", "").is_some_and(|e| e.contains(" ! "))
        );
        assert!(journal_entry(&hold, Some(PendingState::Voided), &eur, "a", "b", "").is_none());
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("-12.50"), "-12.50");
        assert_eq!(account_name("member", "ada lovelace", 1), "liabilities:members:ada-lovelace");
    }
}
